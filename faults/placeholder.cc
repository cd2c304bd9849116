// Replaced by the fault engine.
namespace faultline::faults {}
