/* SPDX-License-Identifier: MIT */
/*
 * strongSwan, when there are IPsec tunnels:
 *   strongswan/strongswan.conf    charon's own settings (the plugins a router with pre-shared
 *                                 keys needs, the VICI socket, the log): changing it restarts
 *                                 charon
 *   strongswan/swanctl.conf       swanctl's file: it includes the tunnels
 *   strongswan/conns/<tunnel>.conf  one per tunnel (a connection, its one child and its
 *                                 pre-shared key), mode 0600: the file holds the psk
 *   strongswan/follow-vrrp        the tunnels on a VRRP virtual address (render.h), when
 *                                 there are any
 * The services backend loads them with swanctl --load-all (agent/services/svc-charon.c):
 * charon keeps a connection that did not change as it is, with its SAs.
 *
 * An initiating tunnel starts at once and installs trap policies, so that traffic brings it
 * back up after any failure; a dead peer (DPD) is re-negotiated at once. A responder waits.
 * A tunnel whose local address is a VRRP virtual address follows mastership instead: charon
 * traps its traffic but does not start it (on a backup the address is the peer's); the agent
 * starts it on the master (agent/services/vrrp-ipsec.c).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "intent/sections.h"
#include "lib/cleanup.h"
#include "render-internal.h"

/* Characters a value may have without quotes (swanctl.conf(5) stops bare values at blanks,
 * '#', '}' and '"'; the rest are kept for readability). */
static bool bare_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-._:/@%=+*", *s))
			return false;
	return true;
}

/* A quoted string: only '"', '\\' and line ends need escapes in swanctl.conf. */
static void append_quoted(struct strbuf *b, const char *s)
{
	strbuf_append(b, "\"");
	for (; *s; s++) {
		switch (*s) {
		case '"':
			strbuf_append(b, "\\\"");
			break;
		case '\\':
			strbuf_append(b, "\\\\");
			break;
		case '\n':
			strbuf_append(b, "\\n");
			break;
		case '\r':
			strbuf_append(b, "\\r");
			break;
		case '\t':
			strbuf_append(b, "\\t");
			break;
		default:
			strbuf_append_n(b, s, 1);
		}
	}
	strbuf_append(b, "\"");
}

static void append_value(struct strbuf *b, const char *s)
{
	if (bare_ok(s))
		strbuf_append(b, s);
	else
		append_quoted(b, s);
}

/* The psk. swanctl decodes a secret that starts with "0x" (hex) or "0s" (base64), quoted
 * or not: such a psk is written in hex, so that the peer's string is what is used. */
static void append_secret(struct strbuf *b, const char *psk)
{
	if (!strncasecmp(psk, "0x", 2) || !strncasecmp(psk, "0s", 2)) {
		strbuf_append(b, "0x");
		for (; *psk; psk++)
			strbuf_printf(b, "%02x", (unsigned char)*psk);
		return;
	}
	append_quoted(b, psk);
}

static void append_list(struct strbuf *b, char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			strbuf_append(b, ",");
		append_value(b, v[i]);
	}
}

static void append_prefixes(struct strbuf *b, const struct ip_prefix *v, size_t n)
{
	char p[PREFIX_STRLEN];
	size_t i;

	for (i = 0; i < n; i++)
		strbuf_printf(b, "%s%s", i ? "," : "", prefix_format(&v[i], p));
}

static void render_child(struct strbuf *b, const struct ipsec_tunnel *t, bool follows_vrrp)
{
	strbuf_printf(b, "\t\tchildren {\n\t\t\t%s {\n", t->name);
	if (t->n_local_subnets) {
		strbuf_append(b, "\t\t\t\tlocal_ts = ");
		append_prefixes(b, t->local_subnets, t->n_local_subnets);
		strbuf_append(b, "\n");
	}
	if (t->n_remote_subnets) {
		strbuf_append(b, "\t\t\t\tremote_ts = ");
		append_prefixes(b, t->remote_subnets, t->n_remote_subnets);
		strbuf_append(b, "\n");
	}
	if (t->n_esp_proposals) {
		strbuf_append(b, "\t\t\t\tesp_proposals = ");
		append_list(b, t->esp_proposals, t->n_esp_proposals);
		strbuf_append(b, "\n");
	}
	strbuf_printf(b, "\t\t\t\tstart_action = %s\n",
		      !t->initiate    ? "none"
		      : follows_vrrp ? "trap"
				     : "trap|start");
	if (t->dpd_seconds)
		strbuf_printf(b, "\t\t\t\tdpd_action = %s\n", t->initiate ? "restart" : "clear");
	strbuf_append(b, "\t\t\t}\n\t\t}\n");
}

static int render_tunnel(const struct ipsec_tunnel *t, bool follows_vrrp, struct rendered *out)
{
	char local[ADDR_STRLEN], remote[ADDR_STRLEN];
	const char *remote_id;
	struct strbuf b = {0};

	addr_format(&t->local_address, local);
	if (t->remote_any)
		strcpy(remote, "%any");
	else
		addr_format(&t->remote_address, remote);
	remote_id = t->has & IPSEC_HAS_REMOTE_ID ? t->remote_id : remote;

	strbuf_append(&b, RENDER_HEADER);
	strbuf_printf(&b, "connections {\n\t%s {\n", t->name);
	strbuf_printf(&b, "\t\tversion = %u\n", t->ike_version);
	strbuf_printf(&b, "\t\tlocal_addrs = %s\n", local);
	strbuf_printf(&b, "\t\tremote_addrs = %s\n", remote);
	if (t->n_ike_proposals) {
		strbuf_append(&b, "\t\tproposals = ");
		append_list(&b, t->ike_proposals, t->n_ike_proposals);
		strbuf_append(&b, "\n");
	}
	if (t->dpd_seconds)
		strbuf_printf(&b, "\t\tdpd_delay = %us\n", t->dpd_seconds);
	strbuf_append(&b, "\t\tlocal {\n\t\t\tauth = psk\n\t\t\tid = ");
	append_value(&b, t->has & IPSEC_HAS_LOCAL_ID ? t->local_id : local);
	strbuf_append(&b, "\n\t\t}\n\t\tremote {\n\t\t\tauth = psk\n\t\t\tid = ");
	append_value(&b, remote_id);
	strbuf_append(&b, "\n\t\t}\n");
	render_child(&b, t, follows_vrrp);
	strbuf_append(&b, "\t}\n}\n\n");

	/* The key belongs to both identities; to a responder for anyone, to its own one. */
	strbuf_printf(&b, "secrets {\n\tike-%s {\n\t\tid-local = ", t->name);
	append_value(&b, t->has & IPSEC_HAS_LOCAL_ID ? t->local_id : local);
	strbuf_append(&b, "\n");
	if (strcmp(remote_id, "%any")) {
		strbuf_append(&b, "\t\tid-remote = ");
		append_value(&b, remote_id);
		strbuf_append(&b, "\n");
	}
	strbuf_append(&b, "\t\tsecret = ");
	append_secret(&b, t->psk);
	strbuf_append(&b, "\n\t}\n}\n");
	return rendered_add(out, &b, 0600, "strongswan", CHANGE_RELOAD, t->ptr,
			    "strongswan/conns/%s.conf", t->name);
}

/* charon loads these plugins only (no /etc/strongswan.d): pre-shared keys, the usual IKE and
 * ESP algorithms (openssl has the AEADs and curve25519), the kernel's XFRM and routes, VICI.
 * kernel-libipsec is added by the included file where the kernel has no ESP (svc-charon.c). */
static const char *const charon_plugins[] = {
	"random", "drbg", "nonce", "openssl", "aes",	"sha1",		  "sha2",	    "md5",
	"hmac",	  "gcm",  "xcbc",  "gmp",     "kdf",	"pem",		  "pkcs1",	    "pkcs8",
	"x509",	  "pubkey", "kernel-netlink", "socket-default", "vici",
};

static int render_charon(struct rendered *out)
{
	struct strbuf b = {0};
	size_t i;
	int r;

	strbuf_append(&b, RENDER_HEADER);
	strbuf_append(&b, "charon {\n\tload_modular = yes\n"
			  /* Routes to the remote subnets go to table 220, the source addresses
			   * right; the main table stays the agent's. */
			  "\tinstall_routes = yes\n"
			  "\tfilelog {\n\t\tstderr {\n\t\t\tdefault = 1\n"
			  "\t\t\tike_name = yes\n\t\t}\n\t}\n"
			  "\tplugins {\n");
	for (i = 0; i < ELEMENTSOF(charon_plugins); i++)
		strbuf_printf(&b, "\t\t%s {\n\t\t\tload = yes\n%s\t\t}\n", charon_plugins[i],
			      strcmp(charon_plugins[i], "vici") ? ""
								: "\t\t\tsocket = unix://" RENDER_CHARON_VICI
								  "\n");
	strbuf_append(&b, "\t\tinclude " RENDER_CHARON_PLUGINS "\n\t}\n}\n"
			  /* swanctl reads keys and connections, nothing else. */
			  "swanctl {\n\tload = random nonce openssl pem pkcs1 pkcs8 x509 pubkey\n}\n");
	r = rendered_add(out, &b, 0644, "strongswan", CHANGE_RESTART, "/vpn/ipsec",
			 "strongswan/strongswan.conf");
	if (r < 0)
		return r;
	strbuf_append(&b, RENDER_HEADER);
	strbuf_append(&b, "include conns/*.conf\n");
	return rendered_add(out, &b, 0644, "strongswan", CHANGE_RELOAD, "/vpn/ipsec",
			    "strongswan/swanctl.conf");
}

int render_swanctl(const struct intent *in, struct rendered *out)
{
	struct strbuf follow = {0};
	size_t i;
	int r = 0;
	bool vip;

	if (!in->vpn.n_ipsec)
		return 0;
	r = render_charon(out);
	for (i = 0; r >= 0 && i < in->vpn.n_ipsec; i++) {
		const struct ipsec_tunnel *t = &in->vpn.ipsec[i];

		vip = intent_is_vip(in, &t->local_address);
		if (vip)
			strbuf_printf(&follow, "%s%s %s\n", follow.len ? "" : RENDER_HEADER, t->name,
				      t->initiate ? "initiate" : "respond");
		r = render_tunnel(t, vip, out);
	}
	if (r >= 0 && follow.len)
		return rendered_add(out, &follow, 0644, "strongswan", CHANGE_NONE, "/vpn/ipsec",
				    RENDER_IPSEC_FOLLOW);
	strbuf_done(&follow);
	return r;
}
