/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/shim/test-names.c: the command-line names of the compression
 * settings (channels/names.h) map to the values of the official spice.h
 * enums, which enum sf_wan shares. */
#include <spice-server/spice.h>
#include "channels/names.h" /* system headers only: before engine headers */
#include "channels/display.h"
#include "tests/unit.h"

SF_TEST(names_map_to_the_spice_h_values)
{
	SF_TEST_ASSERT(sf_wan_compression_from_name("auto") == SPICE_WAN_COMPRESSION_AUTO);
	SF_TEST_ASSERT(sf_wan_compression_from_name("always") == SPICE_WAN_COMPRESSION_ALWAYS);
	SF_TEST_ASSERT(sf_wan_compression_from_name("never") == SPICE_WAN_COMPRESSION_NEVER);
	SF_TEST_ASSERT(sf_wan_compression_from_name("sometimes") == -1);
	SF_TEST_ASSERT(SF_WAN_AUTO == (int)SPICE_WAN_COMPRESSION_AUTO &&
		       SF_WAN_ALWAYS == (int)SPICE_WAN_COMPRESSION_ALWAYS &&
		       SF_WAN_NEVER == (int)SPICE_WAN_COMPRESSION_NEVER);
	SF_TEST_ASSERT(sf_image_compression_from_name("auto_glz") ==
		       SPICE_IMAGE_COMPRESSION_AUTO_GLZ);
	SF_TEST_ASSERT(sf_image_compression_from_name("lz4") == SPICE_IMAGE_COMPRESSION_LZ4);
	SF_TEST_ASSERT(sf_image_compression_from_name("zip") == -1);
}
