// The agent dashboard's files (dashboard/ in the source tree), compiled into the binary.
#pragma once

#include <map>
#include <string>

namespace handoffd {

/// Path relative to dashboard/ ("index.html", "views/chat.js") -> file content.
const std::map<std::string, std::string>& EmbeddedDashboard();

}  // namespace handoffd
