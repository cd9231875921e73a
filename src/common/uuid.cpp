#include "common/uuid.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>

#include "baselinr/error.hpp"

namespace baselinr {
namespace {

// baselinr's namespace: uuid_v5 of "baselinr" in the RFC 4122 URL namespace, fixed here.
constexpr std::array<unsigned char, 16> kNamespace = {
    0x5b, 0x0c, 0x3d, 0x8e, 0x6a, 0x41, 0x5f, 0x2b, 0x9c, 0x17, 0x2e, 0x64, 0xb1, 0x0f, 0x7a, 0x53};

}  // namespace

std::string uuid_v5(std::string_view name) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, kNamespace.data(), kNamespace.size()) == 1 &&
                  EVP_DigestUpdate(ctx, name.data(), name.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest.data(), &size) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || size < 16) throw Error("uuid_v5: SHA-1 is not available from OpenSSL");
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x50);  // version 5
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    hex += fmt::format("{:02x}", digest[static_cast<std::size_t>(i)]);
  }
  return hex;
}

}  // namespace baselinr
