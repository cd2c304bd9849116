# The web console in Debian's chromium, headless, driven by npm puppeteer-core (installed by
# run.sh into the build tree). Leaves a screenshot at build/artifacts/console.png for CI.
add_test(NAME console_browser
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run.sh $<TARGET_FILE:faultline>
          ${PROJECT_BINARY_DIR}/console-test-deps ${PROJECT_BINARY_DIR}/artifacts/console.png)
set_tests_properties(console_browser PROPERTIES LABELS integration TIMEOUT 240 RUN_SERIAL TRUE)
