/* Sluice's C SDK: what sluice.c and sluice_util.c share, not for plugins. */
#ifndef SLUICE_INTERNAL_H
#define SLUICE_INTERNAL_H

#include "sluice.h"

/* The configuration the host gave, as NUL-terminated copies. */
struct sluice_config {
  size_t count;
  char **names;
  char **values;
};

#endif
