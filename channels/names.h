/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/names.h: the names QEMU's -spice options use for the image and
 * WAN (JPEG) compression settings, for command lines: the demo and the
 * bench harness. Header-only and needs only <spice/enums.h>, so a program
 * built against <spice.h> alone may include it. */
#ifndef SF_CHANNELS_NAMES_H
#define SF_CHANNELS_NAMES_H

#include <string.h>
#include <spice/enums.h>

/* SPICE_IMAGE_COMPRESSION_* for image-compression=NAME, or -1. */
static inline int sf_image_compression_from_name(const char *name)
{
	static const struct {
		const char *name;
		int mode;
	} modes[] = {{"off", SPICE_IMAGE_COMPRESSION_OFF},
		     {"auto", SPICE_IMAGE_COMPRESSION_AUTO_GLZ},
		     {"auto_glz", SPICE_IMAGE_COMPRESSION_AUTO_GLZ},
		     {"auto_lz", SPICE_IMAGE_COMPRESSION_AUTO_LZ},
		     {"quic", SPICE_IMAGE_COMPRESSION_QUIC},
		     {"glz", SPICE_IMAGE_COMPRESSION_GLZ},
		     {"lz", SPICE_IMAGE_COMPRESSION_LZ},
		     {"lz4", SPICE_IMAGE_COMPRESSION_LZ4}};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(name, modes[i].name) == 0)
			return modes[i].mode;
	return -1;
}

/* jpeg-wan-compression=NAME as spice_wan_compression_t's values (auto 1,
 * always 2, never 3; enum sf_wan has the same), or -1. */
static inline int sf_wan_compression_from_name(const char *name)
{
	return strcmp(name, "auto") == 0     ? 1
	       : strcmp(name, "always") == 0 ? 2
	       : strcmp(name, "never") == 0  ? 3
					     : -1;
}

#endif
