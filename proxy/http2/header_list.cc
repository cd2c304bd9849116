#include "proxy/http2/header_list.h"

namespace faultline::proxy {

void HeaderList::emplace_back(std::string_view name, std::string_view value) {
  if (fields_.empty()) {  // room for a typical block at once, instead of growing step by step
    fields_.reserve(16);
    bytes_.reserve(512);
  }
  fields_.push_back({static_cast<uint32_t>(bytes_.size()), static_cast<uint32_t>(name.size()),
                     static_cast<uint32_t>(value.size())});
  bytes_.append(name).append(value);
}

}  // namespace faultline::proxy
