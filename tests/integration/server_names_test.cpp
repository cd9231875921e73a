// Names on server engines through the real binary: libpq parameters are configuration.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/engines.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::run_cli;

TEST(ServerNames, InvalidLibpqParametersAreConfigurationErrors) {
  auto pg = testing::make_engine("postgres");
  testing::TempDir dir;
  auto plan_with = [&](const std::map<std::string, std::string>& params) {
    ConnectionConfig source = pg->config();
    source.extra_params = params;
    auto config = dir.write(
        "p.yml", fmt::format("source: {}\nstorage: {{connection: {{type: sqlite, filepath: "
                             "'{}'}}}}\nprofiling:\n  tables: [{{table: t}}]\n",
                             testing::connection_yaml(source), (dir / "store.db").string()));
    return run_cli({"plan", "--config", config.string()});
  };
  auto r = plan_with({{"sslmod", "require"}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("extra_params.sslmod: postgres: not a libpq connection parameter (did you "
                       "mean 'sslmode'?)"),
            std::string::npos)
      << r.err;
  r = plan_with({{"sslmode", "required"}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("invalid sslmode value"), std::string::npos) << r.err;
  r = plan_with({{"connect_timeout", "soon"}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("connect_timeout"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(pg->config().password), std::string::npos) << r.err;
}

}  // namespace
}  // namespace baselinr
