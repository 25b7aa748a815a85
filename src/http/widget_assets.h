// The web chat widget's files (widget/ in the source tree: widget.js, demo.html), compiled into
// the binary like the dashboard.
#pragma once

#include <map>
#include <string>

namespace handoffd {

/// File name relative to widget/ ("widget.js", "demo.html") -> file content.
const std::map<std::string, std::string>& EmbeddedWidget();

}  // namespace handoffd
