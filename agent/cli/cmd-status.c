/* SPDX-License-Identifier: MIT */
/*
 * vrouterctl status [--counters] [--json]: the agent's state. Human-readable by default: the
 * agent, the applied generation, the last apply, the router's links (with their traffic),
 * addresses and routes as the agent observes them (foreign ones with their owner, management
 * addresses the intent in effect no longer lists as kept, with the generation that last listed
 * them when known), the files of the state directory set aside as damaged, and drift: the last
 * time the kernel objects were found changed behind the agent's back. While the agent is busy
 * with a long request (an apply), status is answered without the router's observed state and
 * the services, and says since when it is busy. --counters adds what the firewall and NAT
 * counted: the packets and bytes of each firewall and source NAT rule (by the rule's JSON
 * Pointer, with its comment), the connections each port forward and one-to-one entry
 * translated (by its pointer), and what the always-on rules and the policies counted (by
 * name: "builtin:input/established"). --json prints the agent's answer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "lib/seal.h"

static void print_last(const struct proto_status_apply *a)
{
	if (!a->present) {
		printf("last apply  none since the agent started\n");
		return;
	}
	printf("last apply  ");
	if (a->generation)
		printf("generation %" PRId64 " ", a->generation);
	printf("at %s from %s: %s", a->when, a->origin, a->result);
	if (!strcmp(a->result, "applied"))
		printf(", %zu change%s", a->changes, a->changes == 1 ? "" : "s");
	if (a->errors)
		printf(", %zu error%s", a->errors, a->errors == 1 ? "" : "s");
	if (a->undo_failed)
		printf(", UNDO FAILED");
	if (a->duration_ms > 0)
		printf(", %.1f ms", a->duration_ms);
	printf("\n");
	for (size_t i = 0; i < a->n_error_list; i++)
		printf("  %s%s%s\n", a->error_list[i].pointer, *a->error_list[i].pointer ? ": " : "",
		       a->error_list[i].message);
	if (a->errors > a->n_error_list)
		printf("  (%zu more)\n", a->errors - a->n_error_list);
}

static void print_observed(const struct proto_status *st)
{
	size_t i;

	if (st->observe_error) {
		printf("observed    cannot observe the router: %s\n", st->observe_error);
		return;
	}
	printf("links\n");
	for (i = 0; i < st->n_links; i++) {
		const struct proto_status_link *l = &st->links[i];

		printf("  %-16s %-17s %-5s", l->name, l->mac ? l->mac : "-", l->up ? "up" : "down");
		if (l->has_mtu)
			printf(" mtu %" PRIu32, l->mtu);
		if (l->owner)
			printf(" (%s)", l->owner);
		if (l->has_counters)
			printf("  rx %" PRIu64 " pkts %" PRIu64 " B, tx %" PRIu64 " pkts %" PRIu64
			       " B, errors %" PRIu64 ", dropped %" PRIu64,
			       l->rx_packets, l->rx_bytes, l->tx_packets, l->tx_bytes,
			       l->rx_errors + l->tx_errors, l->rx_dropped + l->tx_dropped);
		printf("\n");
	}
	printf("addresses\n");
	for (i = 0; i < st->n_addrs; i++) {
		const struct proto_status_address *a = &st->addrs[i];

		printf("  %-16s %s", a->interface, a->address);
		if (a->owner)
			printf(" (%s)", a->owner);
		if (a->kept && a->kept_generation)
			printf(" (management, kept from generation %" PRId64 ")",
			       a->kept_generation);
		else if (a->kept)
			printf(" (management, kept from an earlier intent)");
		printf("\n");
	}
	printf("routes\n");
	for (i = 0; i < st->n_routes; i++) {
		const struct proto_status_route *r = &st->routes[i];

		printf("  %s", r->to);
		if (r->via)
			printf(" via %s", r->via);
		if (r->interface)
			printf(" dev %s", r->interface);
		printf(" metric %" PRIu32, r->metric);
		if (r->owner)
			printf(" (%s)", r->owner);
		printf("\n");
	}
	if (!st->has_rules)
		return;
	printf("rules\n");
	for (i = 0; i < st->n_rules; i++) {
		const struct proto_status_rule *c = &st->rules[i];
		const char *what = c->pointer ? c->pointer : c->name;

		printf("  %-30s %12" PRIu64 " packets %14" PRIu64 " bytes", what ? what : "-",
		       c->packets, c->bytes);
		if (c->comment)
			printf("  %s", c->comment);
		printf("\n");
	}
}

/* "services": one line per daemon. */
static void print_services(const struct proto_status *st)
{
	size_t i;

	if (!st->n_services)
		return;
	printf("services\n");
	for (i = 0; i < st->n_services; i++) {
		const struct proto_status_service *c = &st->services[i];

		printf("  %-12s %-8s", c->name, c->state ? c->state : "-");
		if (c->pid)
			printf(" pid %" PRId64, c->pid);
		printf(" restarts %" PRId64 " since %s", c->restarts, c->since ? c->since : "-");
		if (c->last_error)
			printf("  last error: %s", c->last_error);
		printf("\n");
	}
}

/* "vrrp": the router's state, each group's, the sync with the peer. */
static void print_vrrp(const struct proto_status_vrrp *v)
{
	size_t i;

	if (!v->present)
		return;
	printf("vrrp        %s since %s, priority %" PRId64 "%s\n", v->state ? v->state : "-",
	       v->since ? v->since : "-", v->priority,
	       v->held ? ", HELD as backup after a handover (vrouterctl handover --cancel)" : "");
	for (i = 0; i < v->n_groups; i++) {
		const struct proto_status_vrrp_group *g = &v->groups[i];

		printf("  %-12s %-7s since %s, virtual addresses %s\n", g->name,
		       g->state ? g->state : "-", g->since ? g->since : "-",
		       g->addresses_present ? "present" : "absent");
	}
	if (v->has_sync)
		printf("  sync with %s: %" PRId64 " entries, %" PRId64 " received from the peer, "
		       "packets %" PRId64 " sent %" PRId64 " received, %" PRId64
		       " not acknowledged\n",
		       v->peer ? v->peer : "-", v->entries, v->injected, v->packets_sent,
		       v->packets_received, v->unacknowledged);
	if (v->has_sync)
		printf("  peer last heard %s\n", v->last_heard ? v->last_heard : "never");
	printf("  handover  %s%s\n", v->ready ? "ready" : "not ready: ",
	       v->ready ? "" : v->not_ready ? v->not_ready : "-");
}

/* "vpn": charon's data path and one line per IPsec tunnel; each WireGuard tunnel, then one
 * line per peer. */
static void print_vpn(const struct proto_status *st)
{
	size_t i, j;

	if (st->n_ipsec)
		printf("ipsec       (%s)\n",
		       st->ipsec_data_path ? st->ipsec_data_path : "charon not running");
	for (i = 0; i < st->n_ipsec; i++) {
		const struct proto_status_ipsec *t = &st->ipsec[i];

		if (t->error) {
			printf("  %-12s %s\n", t->name, t->error);
			continue;
		}
		if (!t->ike_state) {
			printf("  %-12s no IKE SA\n", t->name);
			continue;
		}
		printf("  %-12s %s, %" PRId64 " CHILD SA%s, received %" PRId64 " B %" PRId64
		       " packets, sent %" PRId64 " B %" PRId64 " packets, last rekey %s\n",
		       t->name, t->ike_state, t->child_sas, t->child_sas == 1 ? "" : "s",
		       t->bytes_in, t->packets_in, t->bytes_out, t->packets_out,
		       t->last_rekey ? t->last_rekey : "never");
	}

	for (i = 0; i < st->n_wireguard; i++) {
		const struct proto_status_wg *t = &st->wireguard[i];

		printf("wireguard   %s (%s)", t->name,
		       t->implementation ? t->implementation : "not running");
		if (t->error)
			printf(": %s", t->error);
		printf("\n");
		for (j = 0; j < t->n_peers; j++) {
			const struct proto_status_wg_peer *p = &t->peers[j];

			printf("  %-12s endpoint %s, latest handshake %s, received %" PRId64
			       " B, sent %" PRId64 " B\n",
			       p->name, p->endpoint ? p->endpoint : "-",
			       p->latest_handshake ? p->latest_handshake : "never", p->rx_bytes,
			       p->tx_bytes);
		}
	}
}

/* "set_aside": one line per file of the state directory set aside (or still to set aside). */
static void print_aside(const struct proto_status *st)
{
	size_t i;

	for (i = 0; i < st->n_aside; i++) {
		const struct proto_status_aside *a = &st->aside[i];
		int p = a->problem ? seal_problem_from_string(a->problem) : -1;

		printf("set aside   %s (%s: %s)", a->file ? a->file : "-",
		       a->problem ? a->problem : "-",
		       p >= 0 ? seal_problem_describe((enum seal_problem)p) : "unknown");
		if (a->moved_to)
			printf(" at %s: now %s\n", a->when ? a->when : "-", a->moved_to);
		else
			printf(": NOT YET, it cannot be renamed (%s); unused until it is\n",
			       a->error ? a->error : "-");
	}
}

/* "drift": the watch's mode, the last drift (when, its objects, what became of it). */
static void print_drift(const struct proto_status_drift *d)
{
	const char *state = d->state ? d->state : "-";
	size_t i;

	if (d->check_error)
		printf("drift       checks FAIL: %s\n", d->check_error);
	if (!d->mode) {
		printf("drift       not watched: %s\n", d->watch_error ? d->watch_error : "-");
		if (!d->present)
			return;
	} else if (!d->present) {
		printf("drift       none since the agent started (%s)\n",
		       strcmp(d->mode, "report") ? "repaired when found" : "--drift=report");
		return;
	}
	printf("drift       at %s, %zu object%s: ", d->detected ? d->detected : "-", d->total,
	       d->total == 1 ? "" : "s");
	if (!strcmp(state, "repaired"))
		printf("repaired at %s by %s\n", d->repaired ? d->repaired : "-",
		       d->repaired_by && !strcmp(d->repaired_by, "apply")
			       ? "an apply of the intent in effect"
			       : "the agent");
	else if (!strcmp(state, "reported"))
		printf("NOT repaired (--drift=report; `vrouterctl apply` of the intent in effect "
		       "repairs it)\n");
	else if (!strcmp(state, "held"))
		printf("NOT repaired: held, the same objects were repaired 3 times within 10 s "
		       "(another actor changes them); the next apply repairs it\n");
	else
		printf("repair FAILED: %s\n", d->error ? d->error : state);
	for (i = 0; i < d->n_objects; i++)
		printf("  %s%s%s\n", d->objects[i].pointer, *d->objects[i].pointer ? ": " : "",
		       d->objects[i].operation);
	if (d->total > d->n_objects)
		printf("  (%zu more)\n", d->total - d->n_objects);
}

static void print_status(const struct proto_status *st, const char *persist_error)
{
	printf("agent       vrouterd %s (pid %" PRId64 "), ", st->version, st->pid);
	if (st->image_version)
		printf("image %s, ", st->image_version);
	printf("backend %s, started %s\n", st->backend, st->started);
	if (st->applied_generation)
		printf("applied     generation %" PRId64 ", %s\n", st->applied_generation,
		       st->in_effect ? "in effect" : "NOT in effect (its last apply failed)");
	else
		printf("applied     nothing yet\n");
	if (persist_error)
		printf("persisted   NO: the state directory does not work (%s); applies are kept "
		       "in memory only\n", persist_error);
	if (st->confirm_generation)
		printf("confirm     generation %" PRId64 " awaits `vrouterctl confirm` until %s; "
		       "then generation %" PRId64 "'s content is applied again\n",
		       st->confirm_generation, st->confirm_deadline ? st->confirm_deadline : "-",
		       st->confirm_previous);
	if (st->history_error)
		printf("history     NOT persisted: %s\n", st->history_error);
	print_aside(st);
	print_last(&st->last);
	print_drift(&st->drift);
	if (st->busy_since) {
		printf("busy        since %s with work from %s (an apply): the links, addresses, "
		       "routes, counters and services are shown once it is done\n",
		       st->busy_since, st->busy_origin ? st->busy_origin : "-");
		return;
	}
	print_observed(st);
	print_services(st);
	print_vrrp(&st->vrrp);
	print_vpn(st);
}

int cmd_status(int argc, char **argv)
{
	struct proto_reply reply;
	bool json = false, counters = false;
	int ret, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && !json)
			json = true;
		else if (!strcmp(argv[i], "--counters") && !counters)
			counters = true;
		else {
			fprintf(stderr, "usage: vrouterctl [--socket PATH|--serial PATH] status "
					"[--counters] [--json]\n");
			return EXIT_USAGE;
		}
	}
	ret = cli_simple_request_with(PROTO_STATUS, counters ? "\"counters\":true" : NULL,
				      &reply);
	if (ret)
		return ret;
	ret = cli_reply_exit(&reply);
	if (json || ret)
		printf("%s\n", reply.text);
	else if (reply.has_status)
		print_status(&reply.status, reply.persist_error);
	cli_print_reply_errors(&reply);
	proto_reply_done(&reply);
	return ret;
}
