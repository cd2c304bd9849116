#pragma once
// The fields of one header block of an HTTP/2 stream (request or response head, trailers), in
// the order they came: names and values packed into one buffer and one array of offsets, both
// reserved for a usual block (16 fields, 512 bytes) on the first field, so such a block costs
// at most two allocations (a vector of string pairs cost up to two per field, plus its own
// growth). An ended list leaves its two buffers to the next list of its worker thread (up to
// kSpareBuffers of them, none grown past 4 times the reservation), so that on a busy
// connection a block costs none.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline::proxy {

class HeaderList {
 public:
  using Field = std::pair<std::string_view, std::string_view>;  // name, value

  class Iterator {
   public:
    Iterator(const HeaderList& list, size_t i) : list_(&list), i_(i) {}
    Field operator*() const { return (*list_)[i_]; }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return i_ == other.i_; }

   private:
    const HeaderList* list_;
    size_t i_;
  };

  static constexpr size_t kReserveFields = 16;
  static constexpr size_t kReserveBytes = 512;
  static constexpr size_t kSpareBuffers = 64;  // per worker thread

  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList();

  void emplace_back(std::string_view name, std::string_view value);
  void clear() {
    bytes_.clear();
    fields_.clear();
  }
  bool empty() const { return fields_.empty(); }
  size_t size() const { return fields_.size(); }
  Field operator[](size_t i) const {
    const Span& f = fields_[i];
    const std::string_view all(bytes_);
    return {all.substr(f.at, f.name_size), all.substr(f.at + f.name_size, f.value_size)};
  }
  Iterator begin() const { return {*this, 0}; }
  Iterator end() const { return {*this, fields_.size()}; }

 private:
  struct Span {
    uint32_t at;  // the name's offset in bytes_; the value follows it
    uint32_t name_size;
    uint32_t value_size;
  };
  struct Spare;
  static Spare& spare();  // the calling thread's
  std::string bytes_;
  std::vector<Span> fields_;
};

}  // namespace faultline::proxy
