// What every command of the command line shares: the configuration it runs with, and how it
// fails. Exit status (API.md "Command line"): 0 success, 2 usage or configuration error, 1
// anything else; errors are one line on stderr.
#pragma once

#include <string>

#include "common/result.h"
#include "config/config.h"

namespace handoffd {

/// Prints "handoffd: MESSAGE" as one line on stderr (database drivers' multi-line texts are
/// joined) and returns `code`.
int Fail(std::string message, int code = 1);

/// Loads the configuration: the file named by `config_flag` (--config), else $HANDOFFD_CONFIG,
/// else the defaults; environment variables override (config.h).
Result<Config> LoadCommandLineConfig(const std::string& config_flag);

}  // namespace handoffd
