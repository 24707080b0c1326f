/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/migrate.c: migration entry points. Client migration (switch-host,
 * semi-seamless, seamless) is not implemented yet: the calls that would
 * start one fail with a clear message, so QEMU reports that the display
 * cannot follow the VM; the VM itself still migrates, and migrate_end
 * completes at once as spice-server does when no client migration runs. */
#include "shim/shim.h"

SF_LOG_TOPIC("migrate");

static int unsupported(void)
{
	sf_log_error("client migration is not supported by this Saffron build");
	return -1;
}

SF_EXPORT int spice_server_migrate_info(SpiceServer *s, const char *dest, int port, int secure_port,
					const char *cert_subject)
{
	(void)s, (void)dest, (void)port, (void)secure_port, (void)cert_subject;
	return unsupported();
}

SF_EXPORT int spice_server_migrate_switch(SpiceServer *s)
{
	(void)s;
	sf_log_error("client migration (switch-host) is not supported by this Saffron build");
	return -1;
}

SF_EXPORT int spice_server_migrate_connect(SpiceServer *s, const char *dest, int port,
					   int secure_port, const char *cert_subject)
{
	(void)s, (void)dest, (void)port, (void)secure_port, (void)cert_subject;
	return unsupported();
}

SF_EXPORT int spice_server_migrate_start(SpiceServer *s)
{
	(void)s;
	return 0; /* nothing to prepare: no client migration in progress */
}

SF_EXPORT int spice_server_migrate_end(SpiceServer *s, int completed)
{
	(void)completed;
	if (s->migration)
		((SpiceMigrateInterface *)s->migration->base.sif)
			->migrate_end_complete(s->migration);
	return 0;
}

SF_EXPORT void spice_server_set_seamless_migration(SpiceServer *s, int enable)
{
	s->seamless = enable != 0;
}
