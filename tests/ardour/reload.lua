-- reload.lua (tests/python/test_ardour.py) -- re-open a saved session (plugin state + automation from the .ardour XML)
-- and export it again; proves the VST3 state/automation round trip through a saved session.
--
-- usage: ardour7-lua reload_export.lua <session_dir> <session_name> <out_dir> <out_name> <seconds>

local sess_dir  = arg[1]
local sess_name = arg[2]
local out_dir   = arg[3]
local out_name  = arg[4]
local seconds   = tonumber (arg[5] or "10")
local PRESET_UUID = "fb4530ab-cd5e-481c-be9b-38e7721aac69"

local function die (msg)
	print ("MS_FAIL " .. msg)
	error (msg)
end

local backend = AudioEngine:set_backend ("None (Dummy)", "", "")
if not backend or backend:isnil () then die ("cannot select the None (Dummy) backend") end
-- optional period size (env MS_BUFFER, default: the dummy backend's 1024)
local want_buf = tonumber (os.getenv ("MS_BUFFER") or "")
if want_buf then backend:set_buffer_size (want_buf) end

local s = load_session (sess_dir, sess_name)
if not s then die ("load_session failed: " .. sess_dir .. " " .. sess_name) end
local RATE = Session:nominal_sample_rate ()

local track = Session:route_by_name ("Melodia")
if track:isnil () then die ("track 'Melodia' missing after reload") end
local proc = track:nth_plugin (0)
if proc:isnil () then die ("instrument missing after reload") end
local ins  = proc:to_insert ()
local plug = ins:plugin (0)
local function pval (which) -- current value (Ardour's "plugin" units) of the which-th parameter
	local v, _ = ARDOUR.LuaAPI.get_processor_param (proc, which, false)
	return v
end
print (string.format ("MS_INFO reloaded instrument: name=%q unique_id=%s type=%s params=%d",
	plug:name (), plug:unique_id (), ARDOUR.PluginType.name (ins:type ()), plug:parameter_count ()))

-- the track must feed the master bus, or the export is silent
local tout, min = track:output (), Session:master_out ():input ()
for c = 0, 1 do
	if not tout:nth (c):connected_to (min:nth (c):name ()) then
		die ("reloaded session: " .. tout:nth (c):name () .. " is not connected to " .. min:nth (c):name ())
	end
end

local which = 0
while true do
	local cid, refs = plug:nth_parameter (which, false)
	if not refs[2] then break end
	local astate = "-"
	if plug:parameter_is_input (cid) then
		local al, cl = ARDOUR.LuaAPI.plugin_automation (proc, which)
		local ac = ins:to_automatable ():automation_control (
			Evoral.Parameter (ARDOUR.AutomationType.PluginAutomation, 0, cid), false)
		if not al:isnil () and not ac:isnil () then
			astate = "state=" .. tostring (ac:automation_state ()) .. ",points=" .. cl:size ()
		end
	end
	print (string.format ("MS_RPARAM which=%d id=%d label=%q value=%g auto=%s",
		which, cid, plug:parameter_label (cid), pval (which), astate))
	which = which + 1
end

local end_sample = math.floor (seconds * RATE)
local ex = Session:simple_export ()
ex:set_name (out_name)
ex:set_folder (out_dir)
ex:set_range (0, end_sample)
if not ex:set_preset (PRESET_UUID) then die ("export preset missing") end
if not ex:run_export () then die ("run_export failed") end
print ("MS_EXPORTED " .. out_dir .. "/" .. out_name .. ".wav")
close_session ()
print ("MS_DONE")
