#include <iostream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/store_access.h"

namespace handoffd {

int RunMigrate(const Config& config) {
  auto store = OpenConfiguredStore(config, IfMissing::kCreate);
  if (!store.ok()) return Fail(store.status().ToString());
  auto applied = (*store)->Migrate();
  if (!applied.ok()) return Fail(applied.status().ToString());
  for (const auto& v : *applied) std::cout << v << "\n";
  return 0;
}

}  // namespace handoffd
