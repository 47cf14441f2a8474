/* SPDX-License-Identifier: MIT */
/* "vpn"/"ipsec": IPsec tunnels (strongSwan, pre-shared keys): the structure of one tunnel,
 * and the checks across tunnels and against the router's addresses. */
#include <string.h>

#include "lib/strbuf.h"
#include "proposal.h"
#include "read.h"
#include "sections.h"
#include "vpn.h"
#include "lib/utf8.h"

#define PSK_MIN_LEN 16
#define PSK_MAX_LEN 256
#define IDENTITY_MAX_LEN 255
#define IPSEC_DPD_DEFAULT 30
#define IPSEC_DPD_MAX 3600

static const char *const ipsec_keys[] = {
	"local_address", "remote_address", "psk",	    "local_id",	   "remote_id",
	"local_subnets", "remote_subnets", "ike_version",   "ike_proposals", "esp_proposals",
	"dpd_seconds",	 "initiate",	   NULL,
};

/* remote_address: a unicast address or "%any" (responder only). */
static int read_remote(struct jr *r, const struct json_t *v, void *ret)
{
	struct ipsec_tunnel *t = ret;
	struct ip_addr a;
	const char *s;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	if (!strcmp(s, "%any")) {
		t->remote_any = true;
		return 1;
	}
	if (!strchr(s, '/') && addr_parse(s, &a) < 0) {
		jr_error(r, "\"%.*s\" is not an IPv4 or IPv6 address, nor \"%%any\"",
			 UTF8_CUT(s, 64));
		return -1;
	}
	return read_unicast_addr(r, v, &t->remote_address);
}

/* The pre-shared key: a secret, never part of a message. */
static int read_psk(struct jr *r, const struct json_t *v, void *ret)
{
	const char *s;
	size_t i, n;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	n = strlen(s);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
			jr_error(r, "character %zu of the psk is not printable ASCII", i + 1);
			return -1;
		}
	if (n < PSK_MIN_LEN) {
		jr_error(r, "the psk has %zu characters, at least %d are required", n, PSK_MIN_LEN);
		return -1;
	}
	if (n > PSK_MAX_LEN) {
		jr_error(r, "the psk has %zu characters, more than the limit of %d", n,
			 PSK_MAX_LEN);
		return -1;
	}
	return jr_string_value(r, v, ret);
}

/* local_id/remote_id: strongSwan identities, 1-255 printable characters except '"'. */
static int read_identity(struct jr *r, const struct json_t *v, void *ret)
{
	const char *s;
	size_t i, n;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	n = strlen(s);
	if (n == 0) {
		jr_error(r, "an identity must not be empty");
		return -1;
	}
	if (n > IDENTITY_MAX_LEN) {
		jr_error(r, "identity of %zu characters is longer than the limit of %d", n,
			 IDENTITY_MAX_LEN);
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e || s[i] == '"') {
			jr_error(r, "character %zu of the identity is not allowed (printable ASCII "
				    "except '\"')",
				 i + 1);
			return -1;
		}
	return jr_string_value(r, v, ret);
}

static int read_proposal(struct jr *r, const struct json_t *v, char **ret,
			 enum proposal_kind kind)
{
	struct strbuf msg = {0};
	const char *s;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	if (proposal_check(s, kind, &msg) < 0) {
		jr_error(r, "%s", strbuf_str(&msg));
		strbuf_done(&msg);
		return -1;
	}
	return jr_string_value(r, v, ret);
}

static int read_ike_proposal(struct jr *r, const struct json_t *v, void *ret)
{
	return read_proposal(r, v, ret, PROPOSAL_IKE);
}

static int read_esp_proposal(struct jr *r, const struct json_t *v, void *ret)
{
	return read_proposal(r, v, ret, PROPOSAL_ESP);
}

static int read_proposals(struct jr *r, const struct json_t *obj, const char *key,
			  enum proposal_kind kind, char ***ret, size_t *ret_n)
{
	size_t i, j;
	int res;

	res = read_array(r, obj, key, false, LIMIT_SMALL, sizeof(char *),
			 kind == PROPOSAL_IKE ? read_ike_proposal : read_esp_proposal, ret, ret_n);
	if (res > 0 && *ret_n == 0) {
		jr_error_member(r, key, -1, "must not be empty (leave it out for the defaults)");
		return -1;
	}
	for (i = 1; res > 0 && i < *ret_n; i++)
		for (j = 0; j < i; j++)
			if (!strcmp((*ret)[i], (*ret)[j])) {
				jr_error_member(r, key, (long)i, "duplicate proposal (also at index %zu)",
						j);
				res = -1;
				break;
			}
	return res;
}

static int read_subnets(struct jr *r, const struct json_t *obj, const char *key,
			struct ip_prefix **ret, size_t *ret_n)
{
	int res = read_array(r, obj, key, true, LIMIT_SMALL, sizeof(struct ip_prefix),
			     read_prefix, ret, ret_n);

	if (res > 0 && *ret_n == 0) {
		jr_error_member(r, key, -1, "must not be empty");
		return -1;
	}
	return res;
}

/* Address families present in a list of prefixes: bit 0 IPv4, bit 1 IPv6. */
static unsigned prefix_families(const struct ip_prefix *p, size_t n)
{
	unsigned f = 0;
	size_t i;

	for (i = 0; i < n; i++)
		f |= p[i].addr.family == AF_INET6 ? 2 : 1;
	return f;
}

static void check_ipsec_subnets(struct jr *r, const struct ipsec_tunnel *t)
{
	char x[PREFIX_STRLEN], y[PREFIX_STRLEN];
	size_t i, j;

	if (!(prefix_families(t->local_subnets, t->n_local_subnets) &
	      prefix_families(t->remote_subnets, t->n_remote_subnets))) {
		jr_error_member(r, "remote_subnets", -1,
				"no address family in common with local_subnets");
		return;
	}
	for (i = 0; i < t->n_remote_subnets; i++)
		for (j = 0; j < t->n_local_subnets; j++)
			if (prefix_overlaps(&t->remote_subnets[i], &t->local_subnets[j])) {
				jr_error_member(r, "remote_subnets", (long)i,
						"%s overlaps local subnet %s",
						prefix_format(&t->remote_subnets[i], x),
						prefix_format(&t->local_subnets[j], y));
				break;
			}
}

void parse_ipsec(struct jr *r, const char *name, const struct json_t *v, struct ipsec_tunnel *t)
{
	char x[ADDR_STRLEN], y[ADDR_STRLEN];
	bool local_ok, remote_ok, subnets_ok;
	int64_t i;

	t->name = strdup(name);
	t->ptr = jr_ptr_dup(r);
	t->ike_version = 2;
	t->dpd_seconds = IPSEC_DPD_DEFAULT;
	if (!jr_object(r, v, ipsec_keys))
		return;
	local_ok = read_member(r, v, "local_address", true, read_unicast_addr, &t->local_address) > 0;
	remote_ok = read_member(r, v, "remote_address", true, read_remote, t) > 0;
	if (local_ok && remote_ok && !t->remote_any &&
	    t->local_address.family != t->remote_address.family)
		jr_error_member(r, "remote_address", -1, "%s is %s but local_address %s is %s",
				addr_format(&t->remote_address, x),
				addr_family_name(t->remote_address.family),
				addr_format(&t->local_address, y),
				addr_family_name(t->local_address.family));
	read_member(r, v, "psk", true, read_psk, &t->psk);
	if (read_member(r, v, "local_id", false, read_identity, &t->local_id) > 0)
		t->has |= IPSEC_HAS_LOCAL_ID;
	if (read_member(r, v, "remote_id", false, read_identity, &t->remote_id) > 0)
		t->has |= IPSEC_HAS_REMOTE_ID;
	subnets_ok = read_subnets(r, v, "local_subnets", &t->local_subnets,
				  &t->n_local_subnets) > 0;
	subnets_ok &= read_subnets(r, v, "remote_subnets", &t->remote_subnets,
				   &t->n_remote_subnets) > 0;
	if (subnets_ok)
		check_ipsec_subnets(r, t);
	if (jr_int(r, v, "ike_version", false, 1, 2, &i) > 0) {
		t->ike_version = (unsigned)i;
		t->has |= IPSEC_HAS_IKE_VERSION;
	}
	if (read_proposals(r, v, "ike_proposals", PROPOSAL_IKE, &t->ike_proposals,
			   &t->n_ike_proposals) > 0)
		t->has |= IPSEC_HAS_IKE_PROPOSALS;
	if (read_proposals(r, v, "esp_proposals", PROPOSAL_ESP, &t->esp_proposals,
			   &t->n_esp_proposals) > 0)
		t->has |= IPSEC_HAS_ESP_PROPOSALS;
	if (jr_int(r, v, "dpd_seconds", false, 0, IPSEC_DPD_MAX, &i) > 0) {
		t->dpd_seconds = (uint32_t)i;
		t->has |= IPSEC_HAS_DPD;
	}
	if (jr_bool(r, v, "initiate", false, &t->initiate) > 0) {
		t->has |= IPSEC_HAS_INITIATE;
		if (t->initiate && t->remote_any)
			jr_error_member(r, "initiate", -1,
					"a tunnel with remote_address \"%%any\" cannot initiate");
	} else {
		t->initiate = !t->remote_any;
	}
}

/* ---- cross-field checks ---- */

void check_ipsec(const struct intent *in, struct errlist *errs)
{
	char x[PREFIX_STRLEN], y[PREFIX_STRLEN];
	size_t i, j, k, l;

	for (i = 0; i < in->vpn.n_ipsec; i++) {
		const struct ipsec_tunnel *t = &in->vpn.ipsec[i];

		if (!intent_owns_addr(in, &t->local_address))
			errlist_add_member(errs, t->ptr, "local_address", -1,
					   "%s is not an address of this router",
					   addr_format(&t->local_address, x));
		if (t->remote_any)
			continue;
		if (intent_owns_addr(in, &t->remote_address))
			errlist_add_member(errs, t->ptr, "remote_address", -1,
					   "%s is an address of this router",
					   addr_format(&t->remote_address, x));
		for (j = 0; j < i; j++) {
			const struct ipsec_tunnel *o = &in->vpn.ipsec[j];

			if (o->remote_any || !addr_equal(&o->remote_address, &t->remote_address))
				continue;
			for (k = 0; k < t->n_remote_subnets; k++)
				for (l = 0; l < o->n_remote_subnets; l++) {
					if (!prefix_overlaps(&t->remote_subnets[k],
							     &o->remote_subnets[l]))
						continue;
					errlist_add_member(errs, t->ptr, "remote_subnets", (long)k,
							   "%s overlaps %s of tunnel \"%s\" to "
							   "the same remote address",
							   prefix_format(&t->remote_subnets[k], x),
							   prefix_format(&o->remote_subnets[l], y),
							   o->name);
					break;
				}
		}
	}
}
