// The process-wide system clock.
#include "common/clock.h"

namespace iamdb {

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace iamdb
