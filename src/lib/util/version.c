#include "arca/arca.h"

const char *arca_version(void)
{
	return ARCA_VERSION;
}
