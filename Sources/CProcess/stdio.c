#include "CProcess.h"
#include <stdio.h>

void cs_stdout_line_buffered(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}
