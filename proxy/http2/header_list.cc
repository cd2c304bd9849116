#include "proxy/http2/header_list.h"

namespace faultline::proxy {

// The buffers of this worker thread's ended lists, for its next ones.
struct HeaderList::Spare {
  std::vector<std::string> bytes;
  std::vector<std::vector<Span>> fields;
};

HeaderList::Spare& HeaderList::spare() {
  static thread_local Spare kept;
  return kept;
}

HeaderList::~HeaderList() {
  if (fields_.capacity() < kReserveFields || fields_.capacity() > 4 * kReserveFields ||
      bytes_.capacity() < kReserveBytes || bytes_.capacity() > 4 * kReserveBytes)
    return;  // never used, or grown for an unusual block: not worth keeping
  Spare& kept = spare();
  if (kept.bytes.size() >= kSpareBuffers) return;
  if (kept.bytes.capacity() == 0) {
    kept.bytes.reserve(kSpareBuffers);
    kept.fields.reserve(kSpareBuffers);
  }
  bytes_.clear();
  fields_.clear();
  kept.bytes.push_back(std::move(bytes_));
  kept.fields.push_back(std::move(fields_));
}

void HeaderList::emplace_back(std::string_view name, std::string_view value) {
  if (fields_.capacity() == 0) {  // room for a usual block at once, not growing step by step
    Spare& kept = spare();
    if (!kept.bytes.empty()) {
      bytes_ = std::move(kept.bytes.back());
      fields_ = std::move(kept.fields.back());
      kept.bytes.pop_back();
      kept.fields.pop_back();
    } else {
      fields_.reserve(kReserveFields);
      bytes_.reserve(kReserveBytes);
    }
  }
  fields_.push_back({static_cast<uint32_t>(bytes_.size()), static_cast<uint32_t>(name.size()),
                     static_cast<uint32_t>(value.size())});
  bytes_.append(name).append(value);
}

}  // namespace faultline::proxy
