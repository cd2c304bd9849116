// Compiles the shared precompiled header of the test targets (see tests/CMakeLists.txt).
