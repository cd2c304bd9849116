// Implemented by the config loader work.
#include "config/value.h"
