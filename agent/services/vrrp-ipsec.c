/* SPDX-License-Identifier: MIT */
/*
 * The IPsec tunnels on a VRRP virtual address follow mastership (vrrp.h). charon does not start
 * them on its own (render-swanctl.c), since on a backup their local address is the peer's; it
 * traps an initiator's traffic, which therefore never leaves in clear. The master starts each
 * one that initiates; a router that is not master closes their IKE SAs, without waiting for the
 * peer (their address has left it). Done at each transition, after each apply and when charon
 * was started again, from one look at charon's SAs: done twice, it changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "render/render.h"
#include "state/statefile.h"
#include "vici.h"
#include "vrrp.h"

/* The file lists at most every tunnel of the intent. */
#define FOLLOW_MAX (1024 * 1024)
/* initiate and terminate return at once ("timeout" -1): the exchange goes on in charon. */
#define COMMAND_TIMEOUT_MS 1000

int vrrp_ipsec_step(const char *line, size_t len, enum vrrp_state state, bool transition,
		    const struct vici_sas *sas, char name[VICI_NAME_MAX + 1])
{
	const char *sp = memchr(line, ' ', len);
	bool initiate, has_sa = false;
	size_t i, n;

	if (!sp || sp == line || (size_t)(sp - line) > VICI_NAME_MAX)
		return -EINVAL;
	n = (size_t)(sp - line);
	if (len - n - 1 == 8 && !memcmp(sp + 1, "initiate", 8))
		initiate = true;
	else if (len - n - 1 == 7 && !memcmp(sp + 1, "respond", 7))
		initiate = false;
	else
		return -EINVAL;
	if (memchr(line, '\0', n))
		return -EINVAL;
	memcpy(name, line, n);
	name[n] = '\0';
	for (i = 0; i < sas->n_ike && !has_sa; i++)
		has_sa = !strcmp(sas->ike[i].name, name);
	if (state != VRRP_MASTER)
		return has_sa ? VRRP_IPSEC_TERMINATE : VRRP_IPSEC_KEEP;
	/* An SA older than mastership was begun without the address (by a packet trapped while
	 * the router was not master): it goes, and the tunnel starts afresh. */
	if (has_sa && transition)
		return initiate ? VRRP_IPSEC_RESTART : VRRP_IPSEC_TERMINATE;
	return initiate && !has_sa ? VRRP_IPSEC_INITIATE : VRRP_IPSEC_KEEP;
}

static int start(const char *name, struct strbuf *err)
{
	const char *kv[] = {"child", name, "ike", name, "timeout", "-1", NULL};

	return vici_command(RENDER_CHARON_VICI, "initiate", kv, COMMAND_TIMEOUT_MS, err);
}

static int close_sas(const char *name, struct strbuf *err)
{
	const char *kv[] = {"ike", name, "force", "yes", "timeout", "-1", NULL};

	return vici_command(RENDER_CHARON_VICI, "terminate", kv, COMMAND_TIMEOUT_MS, err);
}

static void follow_lines(const char *text, size_t len, enum vrrp_state state, bool transition,
			 const struct vici_sas *sas, struct strbuf *log)
{
	const char *line = text, *end = text + len, *nl;
	char name[VICI_NAME_MAX + 1];
	struct strbuf err = {0};
	const char *failed;
	int step;

	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		if (line == nl || *line == '#')
			continue;
		step = vrrp_ipsec_step(line, (size_t)(nl - line), state, transition, sas, name);
		if (step < 0) {
			strbuf_printf(log, "vrrp: %s: a line that names no tunnel: %.*s\n",
				      RENDER_IPSEC_FOLLOW, (int)(nl - line < 80 ? nl - line : 80),
				      line);
			continue;
		}
		failed = NULL;
		if ((step == VRRP_IPSEC_TERMINATE || step == VRRP_IPSEC_RESTART) &&
		    close_sas(name, &err) < 0)
			failed = "closed";
		else if ((step == VRRP_IPSEC_INITIATE || step == VRRP_IPSEC_RESTART) &&
			 start(name, &err) < 0)
			failed = "started";
		if (failed)
			strbuf_printf(log, "vrrp: IPsec tunnel %s not %s: %s\n", name, failed,
				      strbuf_str(&err));
		else if (step != VRRP_IPSEC_KEEP)
			strbuf_printf(log, "vrrp: IPsec tunnel %s %s (%s)\n", name,
				      step == VRRP_IPSEC_TERMINATE ? "closed"
				      : step == VRRP_IPSEC_RESTART ? "started again"
								   : "started",
				      vrrp_state_to_string(state));
		strbuf_truncate(&err, 0);
	}
	strbuf_done(&err);
}

void vrrp_ipsec_follow(struct svcd *charon, enum vrrp_state state, bool transition,
		       struct strbuf *log)
{
	struct vici_sas sas = {0};
	struct strbuf err = {0};
	char path[4200], *text = NULL;
	size_t len = 0;

	if (!charon || !svcd_running(charon) ||
	    snprintf(path, sizeof(path), "%s/%s", charon->confdir, RENDER_IPSEC_FOLLOW) >=
		    (int)sizeof(path) ||
	    statefile_read(path, FOLLOW_MAX, &text, &len) < 0)
		return;
	if (vici_list_sas(RENDER_CHARON_VICI, VICI_TIMEOUT_MS, &sas, &err) < 0)
		strbuf_printf(log, "vrrp: the IPsec tunnels on virtual addresses not followed: %s\n",
			      strbuf_str(&err));
	else
		follow_lines(text, len, state, transition, &sas, log);
	vici_sas_done(&sas);
	strbuf_done(&err);
	free(text);
}
