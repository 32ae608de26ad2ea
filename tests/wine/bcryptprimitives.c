/* A test-only stand-in for Windows 10's bcryptprimitives.dll, which Debian's Wine 8.0 does not
 * have. Rust's standard library (1.78+) takes its random numbers (HashMap seeds) from
 * ProcessPrng there; real Windows 10 and 11 ship it. Built by scripts/windows.sh into the
 * test Wine prefix only; never shipped with the plugin. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) {
            return FALSE;
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
