/* SPDX-License-Identifier: MIT */
/*
 * Rendering of the service configurations (dnsmasq, keepalived, conntrackd, strongSwan,
 * WireGuard) from the intent. Pure: text in memory, no file is touched. The plan engine
 * turns each rendered file into a desired "file" object; a backend writes it (temporary
 * file, fsync, rename) and applies the change class.
 */
#pragma once

#include <stddef.h>

#include "intent/intent.h"

/* conntrackd's sync port (FTFW over UDP on vrrp.sync's link): written in its configuration,
 * admitted by the firewall from the sync peer. */
#define RENDER_CONNTRACKD_PORT 3780

/* What a daemon needs when its file changes. */
enum change_class {
	CHANGE_NONE,	/* read on demand (a watched directory): nothing to do */
	CHANGE_RELOAD,	/* reload in place (SIGHUP, swanctl --load-conns, wg syncconf) */
	CHANGE_RESTART, /* the daemon must restart */
	_CHANGE_CLASS_MAX,
};

struct rendered_file {
	char *path;	 /* relative to the agent's configuration directory, e.g.
			  * "dnsmasq/vrouter.conf"; unique */
	char *content;
	unsigned mode;	 /* 0644, or 0600 for files holding secrets */
	const char *service; /* "dnsmasq", "keepalived", "conntrackd", "strongswan",
			      * "wireguard" */
	enum change_class change;
	char *ptr;	 /* JSON Pointer of the intent element the file comes from */
};

struct rendered {
	struct rendered_file *files;
	size_t n;
};

/* Render every service file the intent needs (none for absent sections), in a stable
 * order. confdir is the absolute directory the files will live in (files refer to each
 * other by absolute path), e.g. "/etc/vrouter". Returns 0 or -ENOMEM (out left empty). */
int render_services(const struct intent *in, const char *confdir, struct rendered *out);
void rendered_done(struct rendered *r);
const char *change_class_to_string(enum change_class c);
