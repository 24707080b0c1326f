/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/replay.c: spice-server's QXL command recording replay API
 * (spice-server-replay). Saffron does not read red-record-qxl recordings:
 * spice_replay_new() fails cleanly, which callers already handle. */
#include "shim/shim.h"

SF_LOG_TOPIC("replay");

SF_EXPORT SpiceReplay *spice_replay_new(FILE *file, int nsurfaces)
{
	(void)file, (void)nsurfaces;
	sf_log_error("QXL replay recordings are not supported by Saffron");
	return NULL;
}

SF_EXPORT QXLCommandExt *spice_replay_next_cmd(SpiceReplay *replay, QXLInstance *instance)
{
	(void)replay, (void)instance;
	return NULL;
}

SF_EXPORT void spice_replay_free_cmd(SpiceReplay *replay, QXLCommandExt *cmd)
{
	(void)replay, (void)cmd;
}

SF_EXPORT void spice_replay_free(SpiceReplay *replay)
{
	(void)replay;
}
