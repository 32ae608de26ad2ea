-- render.lua -- headless Ardour 7 (ardour7-lua / luasession) render, for tests/python/test_ardour.py
-- (the team's recipe from ../shared/tools/ardour, kept here so CI needs nothing outside the repo)
--
-- usage:
--   ardour7-lua render_melodia.lua <session_dir> <session_name> <out_dir> <seconds>
--               [plugin_name] [plugin_type] [automate_param] [auto_from] [auto_to] [set NAME=VALUE ...]
--
-- * creates a new 48 kHz session on the "None (Dummy)" backend
-- * lists VST3 plugins Ardour knows (from its scan cache)
-- * adds a MIDI track with <plugin_name> as instrument (no MIDI data at all)
-- * prints every plugin parameter (index, label, range, default, current value)
-- * optionally sets parameters ("Label=value", plain/natural units as Ardour shows them)
-- * writes automation on <automate_param>: auto_from at t=0 -> auto_to at t=end (state: Play)
-- * sets the session range, saves the session, exports the master bus to
--   <out_dir>/<session_name>.wav (float32 WAV, session rate) with ARDOUR.SimpleExport
--
-- Lines that the wrapper (run.sh) parses start with "MS_".

local sess_dir   = arg[1]
local sess_name  = arg[2]
local out_dir    = arg[3]
local seconds    = tonumber (arg[4] or "10")
local plug_name  = arg[5] or "MelodiaSync"
local ptype_name = arg[6] or "VST3"
local auto_param = arg[7] or "Relaxation"
local auto_from  = tonumber (arg[8] or "0")
local auto_to    = tonumber (arg[9] or "1")

local RATE        = 48000
local PRESET_UUID = "fb4530ab-cd5e-481c-be9b-38e7721aac69" -- melodia-float32.preset (installed by run.sh)

local function die (msg)
	print ("MS_FAIL " .. msg)
	error (msg)
end

if not sess_dir or not sess_name or not out_dir then
	die ("usage: render_melodia.lua <session_dir> <session_name> <out_dir> <seconds> ...")
end

local ptype = ARDOUR.PluginType[ptype_name]
if not ptype then die ("unknown plugin type " .. tostring (ptype_name)) end

---------------------------------------------------------------------------
-- 1. engine + new session
local backend = AudioEngine:set_backend ("None (Dummy)", "", "")
if not backend or backend:isnil () then die ("cannot select the None (Dummy) backend") end
-- optional period size (env MS_BUFFER, default: the dummy backend's 1024)
local want_buf = tonumber (os.getenv ("MS_BUFFER") or "")
if want_buf then backend:set_buffer_size (want_buf) end
print ("MS_INFO backend=" .. AudioEngine:current_backend_name ())

local t0 = os.time ()
local s = create_session (sess_dir, sess_name, RATE)
if not s then die ("create_session failed for " .. sess_dir) end
print ("MS_INFO session created: rate=" .. Session:nominal_sample_rate () .. " engine-rate=" .. Session:sample_rate ()
	.. " buffer=" .. Session:get_block_size ())

---------------------------------------------------------------------------
-- 2. which plugins of the requested type does Ardour know (scan cache)?
local n_known = 0
for p in ARDOUR.LuaAPI.list_plugins ():iter () do
	if p.type == ptype then
		n_known = n_known + 1
		print (string.format ("MS_PLUGIN type=%s name=%q creator=%q category=%q unique_id=%s instrument=%s in=%s out=%s path=%s",
			ptype_name, p.name, p.creator, p.category, p.unique_id, tostring (p:is_instrument ()),
			p.n_inputs:n_audio () .. "a/" .. p.n_inputs:n_midi () .. "m",
			p.n_outputs:n_audio () .. "a/" .. p.n_outputs:n_midi () .. "m",
			tostring (p.path)))
	end
end
print ("MS_INFO known " .. ptype_name .. " plugins: " .. n_known)

local pinfo = ARDOUR.LuaAPI.new_plugin_info (plug_name, ptype)
if pinfo:isnil () then die ("plugin '" .. plug_name .. "' (" .. ptype_name .. ") not found by Ardour's PluginManager") end

---------------------------------------------------------------------------
-- 3. MIDI track with the instrument
local tl = Session:new_midi_track (
	ARDOUR.ChanCount (ARDOUR.DataType ("midi"), 1),
	ARDOUR.ChanCount (ARDOUR.DataType ("audio"), 2),
	false,        -- strict-i/o
	pinfo, nil,   -- instrument, preset
	nil,          -- route group
	1, "Melodia",
	ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal,
	true,         -- input auto-connect
	false)        -- trigger visibility
if tl:empty () then die ("new_midi_track failed") end
local track = tl:front ()

local proc = track:nth_plugin (0)
if proc:isnil () then die ("track has no plugin (instrument failed to instantiate?)") end
local ins  = proc:to_insert ()
local plug = ins:plugin (0)
local function pval (which) -- current value (Ardour's "plugin" units) of the which-th parameter
	local v, _ = ARDOUR.LuaAPI.get_processor_param (proc, which, false)
	return v
end
print (string.format ("MS_INFO instrument: name=%q unique_id=%s type=%s maker=%q params=%d insert-in=%s insert-out=%s",
	plug:name (), plug:unique_id (), ARDOUR.PluginType.name (ins:type ()), plug:maker (), plug:parameter_count (),
	ins:input_streams ():n_audio () .. "a/" .. ins:input_streams ():n_midi () .. "m",
	ins:output_streams ():n_audio () .. "a/" .. ins:output_streams ():n_midi () .. "m"))
-- Connect the track to the master bus explicitly. Ardour's auto-connect runs asynchronously
-- (auto-connect thread); a session saved right after new_midi_track can miss the connection,
-- and then a reloaded session / ardour7-export renders silence (seen once in testing).
local tout = track:output ()
local min  = Session:master_out ():input ()
for c = 0, 1 do
	local src, dst = tout:nth (c), min:nth (c)
	if src:isnil () or dst:isnil () then die ("missing track/master port " .. c) end
	if not src:connected_to (dst:name ()) then
		if src:connect (dst:name ()) ~= 0 then die ("cannot connect " .. src:name () .. " -> " .. dst:name ()) end
	end
	if not src:connected_to (dst:name ()) then die ("not connected: " .. src:name () .. " -> " .. dst:name ()) end
end
print ("MS_INFO track outputs: " .. track:n_outputs ():n_audio () .. " audio, connected to " .. min:name ())

---------------------------------------------------------------------------
-- 4. parameters
local by_label = {}
local n_params = 0
local which = 0
while true do
	local cid, refs = plug:nth_parameter (which, false)
	if not refs[2] then break end
	local label = plug:parameter_label (cid)
	local _, dref = plug:get_parameter_descriptor (cid, ARDOUR.ParameterDescriptor ())
	local pd = dref[2]
	local is_in = plug:parameter_is_input (cid)
	print (string.format ("MS_PARAM which=%d id=%d in=%s label=%q lower=%g upper=%g normal=%g value=%g toggled=%s integer=%s",
		which, cid, tostring (is_in), label, pd.lower, pd.upper, pd.normal, pval (which),
		tostring (pd.toggled), tostring (pd.integer_step)))
	if is_in then
		by_label[label] = { which = which, cid = cid, pd = pd }
	end
	n_params = n_params + 1
	which = which + 1
end
print ("MS_INFO parameter count: " .. n_params)

-- optional fixed settings: arguments 10.. are "Label=value"
local i = 10
while arg[i] do
	local k, v = string.match (arg[i], "^(.-)=(.*)$")
	if not k then die ("bad setting '" .. arg[i] .. "', want Label=value") end
	local e = by_label[k]
	if not e then die ("no input parameter labelled '" .. k .. "'") end
	local ok = ARDOUR.LuaAPI.set_processor_param (proc, e.which, tonumber (v))
	print (string.format ("MS_SET %q=%s ok=%s now=%g", k, v, tostring (ok), pval (e.which)))
	if not ok then die ("could not set " .. k .. "=" .. v) end
	i = i + 1
end

---------------------------------------------------------------------------
-- 5. automation
local end_sample = math.floor (seconds * RATE)
if auto_param ~= "" and auto_param ~= "-" then
	local e = by_label[auto_param]
	if not e then die ("no input parameter labelled '" .. auto_param .. "'") end
	local al, cl, pd = ARDOUR.LuaAPI.plugin_automation (proc, e.which)
	if al:isnil () then die ("no automation list for " .. auto_param) end
	cl:clear_list ()
	-- ramp from auto_from (t=0) to auto_to (t=end); keep a few points so the ramp is explicit
	local npts = 10
	for k = 0, npts do
		local v = auto_from + (auto_to - auto_from) * k / npts
		cl:add (Temporal.timepos_t (math.floor (end_sample * k / npts)), v, false, false)
	end
	-- automation only plays back when the control is in "Play" mode
	local ac = ins:to_automatable ():automation_control (
		Evoral.Parameter (ARDOUR.AutomationType.PluginAutomation, 0, e.cid), false)
	if ac:isnil () then die ("no automation control for " .. auto_param) end
	ac:set_automation_state (ARDOUR.AutoState.Play)
	print (string.format ("MS_AUTO %q which=%d range=[%g,%g] %g->%g over %d samples, points=%d, state=%s, eval(0)=%g eval(mid)=%g eval(end)=%g",
		auto_param, e.which, pd.lower, pd.upper, auto_from, auto_to, end_sample, cl:size (),
		tostring (ac:automation_state ()),
		cl:eval (Temporal.timepos_t (0)), cl:eval (Temporal.timepos_t (end_sample // 2)),
		cl:eval (Temporal.timepos_t (end_sample))))
end

---------------------------------------------------------------------------
-- 6. save the session. Ardour 7.3's Lua has no binding that creates the *session* range, so
--    add a plain range marker 0..end; run.sh turns it into the session range in the saved XML
--    for ardour7-export. The Lua exports pass an explicit range instead.
Session:locations ():add_range (Temporal.timepos_t (0), Temporal.timepos_t (end_sample))
if Session:save_state ("", false, false, false, false, false) ~= 0 then die ("save_state failed") end
print ("MS_INFO saved " .. Session:path () .. "/" .. sess_name .. ".ardour")

---------------------------------------------------------------------------
-- 7. export (freewheeling, faster than real time)
-- optional real-time wait before exporting (env MS_SLEEP seconds; the dummy engine keeps running
-- the plugin in real time meanwhile) -- used to probe render reproducibility
local pre_sleep = tonumber (os.getenv ("MS_SLEEP") or "")
if pre_sleep and pre_sleep > 0 then sleep (pre_sleep) end
local ex = Session:simple_export ()
ex:set_name (sess_name)
ex:set_folder (out_dir)
ex:set_range (0, end_sample)
if not ex:set_preset (PRESET_UUID) then
	print ("MS_WARN export preset " .. PRESET_UUID .. " not found, using default " .. ex:preset_uuid ())
end
local te = os.time ()
if not ex:run_export () then die ("run_export failed") end
print ("MS_EXPORTED " .. out_dir .. "/" .. sess_name .. ".wav" .. " export_s~" .. os.difftime (os.time (), te)
	.. " total_s~" .. os.difftime (os.time (), t0))

close_session ()
print ("MS_DONE")
