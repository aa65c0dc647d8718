// Error texts of Redis 7.0.15's scripting commands that the server, not this library, produces
// (command lookup and policy checks happen in the server before a command runs). Kept here so
// the server and the tests use one spelling. Each is the error line without the leading '-'.
#pragma once

namespace strata::kv::script::errors {

// EVALSHA / FCALL lookups.
inline constexpr const char* kNoScript = "NOSCRIPT No matching script. Please use EVAL.";
inline constexpr const char* kFunctionNotFound = "ERR Function not found";
inline constexpr const char* kLibraryNotFound = "ERR Library not found";

// Replies of ScriptHost::call for commands refused inside a script.
inline constexpr const char* kUnknownCommand = "ERR Unknown Redis command called from script";
inline constexpr const char* kWrongArity =
    "ERR Wrong number of args calling Redis command from script";
inline constexpr const char* kNotAllowed = "ERR This Redis command is not allowed from script";
inline constexpr const char* kWriteFromReadOnly =
    "ERR Write commands are not allowed from read-only scripts.";
inline constexpr const char* kWriteWithRoCommand =
    "ERR Can not execute a script with write flag using *_ro command.";

// While a script runs, other clients get these (SCRIPT KILL / FUNCTION KILL flavour).
inline constexpr const char* kBusyScript =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
inline constexpr const char* kBusyFunction =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
inline constexpr const char* kNotBusy = "NOTBUSY No scripts in execution right now.";
// SCRIPT KILL / FUNCTION KILL once the running script has written.
inline constexpr const char* kUnkillable =
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
    "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
    "NOSAVE command.";

}  // namespace strata::kv::script::errors
