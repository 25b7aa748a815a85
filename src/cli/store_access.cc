#include "cli/store_access.h"

#include <filesystem>
#include <string>

namespace handoffd {

const Clock& WallClock() {
  static const SystemClock clock;
  return clock;
}

Result<std::unique_ptr<Store>> OpenConfiguredStore(const Config& config, IfMissing if_missing) {
  const std::string& url = config.database.url;
  if (if_missing == IfMissing::kFail && url.rfind("sqlite:", 0) == 0) {
    const std::string path = url.substr(7);
    std::error_code ec;
    if (!path.empty() && !std::filesystem::exists(path, ec)) {
      return Status::NotFound("database " + path +
                              " does not exist (check --config or HANDOFFD_CONFIG; "
                              "`handoffd migrate` creates it)");
    }
  }
  StoreOptions options;
  options.url = url;
  options.pool_size = config.database.pool_size;
  options.clock = &WallClock();
  return OpenStore(options);
}

Result<std::unique_ptr<Store>> OpenMigratedStore(const Config& config, IfMissing if_missing) {
  HANDOFFD_ASSIGN_OR_RETURN(auto store, OpenConfiguredStore(config, if_missing));
  HANDOFFD_ASSIGN_OR_RETURN(auto applied, store->Migrate());
  (void)applied;
  return store;
}

}  // namespace handoffd
