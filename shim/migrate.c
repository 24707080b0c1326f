/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/migrate.c: spice.h's migration calls on Saffron's coordinator
 * (migrate/coord.h). QEMU calls migrate_connect from client_migrate_info,
 * migrate_start when the migration sets up and migrate_end when it completes
 * or fails; the SpiceMigrateInterface callbacks report back. */
#include <stdio.h>
#include <string.h>
#include "shim/shim.h"
#include "migrate/coord.h"

SF_LOG_TOPIC("migrate");

static SpiceMigrateInterface *sif(SpiceServer *s)
{
	return s->migration ? (SpiceMigrateInterface *)s->migration->base.sif : NULL;
}

void shim_migrate_connect_done(void *data)
{
	SpiceServer *s = data;

	if (sif(s) && sif(s)->migrate_connect_complete)
		sif(s)->migrate_connect_complete(s->migration);
}

void shim_migrate_end_done(void *data)
{
	SpiceServer *s = data;

	if (sif(s) && sif(s)->migrate_end_complete)
		sif(s)->migrate_end_complete(s->migration);
}

/* A client migrating here before the VM ever ran: this is an incoming
 * migration, so char devices wait for vm_start (QEMU calls it once the VM
 * state is loaded); bytes written earlier would be lost to loadvm. */
void shim_migrate_target_client(SpiceServer *s)
{
	if (!s->vm_start_seen && s->vm_running) {
		sf_log_info("incoming migration: char devices wait for vm_start");
		s->vm_running = false;
		shim_chardev_incoming(s);
	}
}

static bool fill_dst(struct sf_migrate_dst *d, const char *dest, int port, int sport,
		     const char *subject)
{
	memset(d, 0, sizeof(*d));
	if (!dest || !dest[0] || (port <= 0 && sport <= 0) || port > 65535 || sport > 65535)
		return false;
	if (strlen(dest) >= sizeof(d->host) ||
	    (subject && strlen(subject) >= sizeof(d->cert_subject)))
		return false;
	snprintf(d->host, sizeof(d->host), "%s", dest);
	snprintf(d->cert_subject, sizeof(d->cert_subject), "%s", subject ? subject : "");
	d->port = port > 0 ? port : -1;
	d->sport = sport > 0 ? sport : -1;
	return true;
}

SF_EXPORT int spice_server_migrate_info(SpiceServer *s, const char *dest, int port, int secure_port,
					const char *cert_subject)
{
	struct sf_migrate_dst d;

	if (!s || !s->srv || !fill_dst(&d, dest, port, secure_port, cert_subject))
		return -1;
	sf_server_migrate_info(s->srv, &d);
	return 0;
}

SF_EXPORT int spice_server_migrate_connect(SpiceServer *s, const char *dest, int port,
					   int secure_port, const char *cert_subject)
{
	struct sf_migrate_dst d;

	if (!s || !s->srv || !s->migration) {
		sf_log_error("migrate_connect without a migration interface");
		return -1;
	}
	if (!fill_dst(&d, dest, port, secure_port, cert_subject)) {
		sf_log_error("migrate_connect: bad target %s:%d/%d", dest ? dest : "(null)", port,
			     secure_port);
		shim_migrate_connect_done(s);
		return -1;
	}
	sf_server_set_seamless_migration(s->srv, s->seamless);
	sf_server_migrate_connect(s->srv, &d);
	return 0;
}

SF_EXPORT int spice_server_migrate_start(SpiceServer *s)
{
	(void)s;
	return 0; /* clients already link to the target since migrate_connect */
}

SF_EXPORT int spice_server_migrate_end(SpiceServer *s, int completed)
{
	if (!s || !s->srv) {
		if (s)
			shim_migrate_end_done(s);
		return 0;
	}
	sf_server_migrate_end(s->srv, completed != 0);
	return 0;
}

SF_EXPORT int spice_server_migrate_switch(SpiceServer *s)
{
	if (s && s->srv)
		sf_server_migrate_switch(s->srv);
	return 0;
}

SF_EXPORT void spice_server_set_seamless_migration(SpiceServer *s, int enable)
{
	s->seamless = enable != 0;
	if (s->srv)
		sf_server_set_seamless_migration(s->srv, s->seamless);
}
