/* SPDX-License-Identifier: MIT */
/* What the agent reads from keepalived (its FIFO's lines) and from conntrackd (its figures), and
 * the states it keeps for the next agent (services/vrrp.state, a state file). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/seal.h"
#include "services/vrrp.h"
#include "state/statefile.h"

static void test_lines(void **state)
{
	static const struct {
		const char *line;
		int ok;
		bool group;
		const char *name;
		enum vrrp_state st;
		unsigned prio;
	} cases[] = {
		{"INSTANCE \"web\" MASTER 150", 0, false, "web", VRRP_MASTER, 150},
		{"INSTANCE \"web\" BACKUP 1", 0, false, "web", VRRP_BACKUP, 1},
		{"INSTANCE \"a b\" FAULT 0", 0, false, "a b", VRRP_FAULT, 0},
		{"INSTANCE \"web\" STOP 254", 0, false, "web", VRRP_STOP, 254},
		{"GROUP \"VROUTER\" MASTER", 0, true, "VROUTER", VRRP_MASTER, 0},
		{"GROUP \"VROUTER\" BACKUP 0", 0, true, "VROUTER", VRRP_BACKUP, 0},
		{"INSTANCE \"web\" MASTER", -1, false, NULL, 0, 0},	   /* no priority */
		{"INSTANCE \"web\" MASTERS 1", -1, false, NULL, 0, 0},	   /* unknown state */
		{"INSTANCE \"web\" MASTER 256", -1, false, NULL, 0, 0},	   /* out of range */
		{"INSTANCE \"web\" MASTER 1x", -1, false, NULL, 0, 0},
		{"INSTANCE \"\" MASTER 1", -1, false, NULL, 0, 0},	   /* empty name */
		{"INSTANCE \"web MASTER 1", -1, false, NULL, 0, 0},	   /* unterminated */
		{"VS [192.168.201.15]:tcp:80 UP", -1, false, NULL, 0, 0}, /* not VRRP */
		{"", -1, false, NULL, 0, 0},
	};
	struct vrrp_line l;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = vrrp_line_parse(cases[i].line, &l);

		if (cases[i].ok < 0) {
			assert_true(r < 0);
			continue;
		}
		assert_int_equal(r, 0);
		assert_int_equal(l.sync_group, cases[i].group);
		assert_string_equal(l.name, cases[i].name);
		assert_int_equal(l.state, cases[i].st);
		assert_int_equal(l.priority, cases[i].prio);
	}
}

/* Lines cut anywhere, a sync group of two, then one group alone. */
static void test_feed(void **state)
{
	static const char text[] = "INSTANCE \"lan\" BACKUP 200\nINSTANCE \"wan\" BACKUP 200\n"
				   "GROUP \"VROUTER\" BACKUP\nINSTANCE \"wan\" MASTER 200\n"
				   "INSTANCE \"lan\" MASTER 200\nGROUP \"VROUTER\" MASTER\n"
				   "garbage\n";
	struct vrrp_watch w = {.fd = -1};
	struct strbuf log = {0};
	bool changed = false;
	size_t i;

	for (i = 0; i < sizeof(text) - 1; i += 7)
		changed |= vrrp_watch_feed(&w, text + i, i + 7 < sizeof(text) - 1 ? 7 : sizeof(text) - 1 - i,
					   &log);
	assert_true(changed);
	assert_int_equal(w.state, VRRP_MASTER);
	assert_int_equal(w.n_groups, 2);
	assert_string_equal(w.groups[0].name, "lan");
	assert_int_equal(w.groups[1].state, VRRP_MASTER);
	assert_non_null(strstr(strbuf_str(&log), "vrrp: this router is master"));
	assert_non_null(strstr(strbuf_str(&log), "unknown line from keepalived: garbage"));
	/* One group disagreeing (the sync group's line not there yet): the router's state stays. */
	assert_false(vrrp_watch_feed(&w, "INSTANCE \"lan\" FAULT 200\n", 25, &log));
	assert_int_equal(w.state, VRRP_MASTER);
	assert_true(vrrp_watch_feed(&w, "INSTANCE \"wan\" FAULT 200\n", 25, &log));
	assert_int_equal(w.state, VRRP_FAULT);
	strbuf_done(&log);
}

static void test_stats(void **state)
{
	static const char stats[] =
		"cache internal:\ncurrent active connections:\t          12\n"
		"connections created:\t\t          40\tfailed:\t           0\n\n"
		"external inject:\nconnections created:\t\t           7\tfailed:\t           0\n\n"
		"UDP traffic (active device=sync):\n"
		"                 320 Bytes sent                  480 Bytes recv\n"
		"                  20 Pckts sent                   30 Pckts recv\n"
		"                   0 Error send                    0 Error recv\n";
	struct vrrp_sync_stats s;

	vrrp_sync_stats_parse(stats,
			      "resent queue (len=5)\ncontrol -> seq:1 flags:8\n"
			      "object -> seq:4294967295\nobject -> seq:0\nobject -> seq:1\n"
			      "control -> seq:2 flags:8\n",
			      &s);
	assert_int_equal(s.oldest_seq, 4294967295u);
	assert_int_equal(s.newest_seq, 1);
	assert_int_equal(s.entries, 12);
	assert_int_equal(s.injected, 7);
	assert_int_equal(s.packets_sent, 20);
	assert_int_equal(s.packets_received, 30);
	assert_int_equal(s.unacknowledged, 3);
	/* An ACK awaiting the peer's is no state the peer lacks. */
	vrrp_sync_stats_parse(stats, "resent queue (len=1)\ncontrol -> seq:9 flags:8\n", &s);
	assert_int_equal(s.unacknowledged, 0);
	vrrp_sync_stats_parse("", "", &s);
	assert_int_equal(s.entries + s.injected + s.packets_sent + s.packets_received, 0);
}

/* Readiness for a handover from the looks at the sync link: one look says nothing; a window of
 * a second in which the counter moved is heard; a master also needs what waited at the
 * window's start acknowledged; a window closed long ago no longer counts. */
static void test_ready(void **state)
{
	struct vrrp_sync_seen seen = {0};
	struct vrrp_sync_stats st = {.packets_received = 5, .unacknowledged = 2, .oldest_seq = 10,
				     .newest_seq = 11};

	(void)state;
	assert_string_equal(vrrp_not_ready(VRRP_BACKUP, false, &seen, 100),
			    "no connection sync (vrrp.sync), or conntrackd does not answer");
	vrrp_sync_look(&seen, &st, 1000, "t1");
	assert_string_equal(vrrp_not_ready(VRRP_BACKUP, true, &seen, 1000),
			    "the sync link is being measured: look again in a second");
	/* Within the window: nothing decided. */
	st.packets_received = 6;
	vrrp_sync_look(&seen, &st, 1500, "t2");
	assert_false(seen.measured);
	/* The window closes: heard; 10 and 11 still unacknowledged. */
	vrrp_sync_look(&seen, &st, 2000, "t3");
	assert_true(seen.measured);
	assert_string_equal(seen.heard_iso, "t3");
	assert_null(vrrp_not_ready(VRRP_BACKUP, true, &seen, 2000));
	assert_string_equal(vrrp_not_ready(VRRP_MASTER, true, &seen, 2000),
			    "the peer does not acknowledge the connection states sent to it");
	assert_string_equal(vrrp_not_ready(VRRP_FAULT, true, &seen, 2000),
			    "this router is neither master nor backup");
	/* Both acknowledged, a newer one waits (sequence numbers wrap): the master is ready. */
	st = (struct vrrp_sync_stats){.packets_received = 7, .unacknowledged = 1,
				      .oldest_seq = 12, .newest_seq = 12};
	vrrp_sync_look(&seen, &st, 3100, "t4");
	assert_null(vrrp_not_ready(VRRP_MASTER, true, &seen, 3100));
	/* A silent window: still heard until the last one that heard is 3 s old. */
	vrrp_sync_look(&seen, &st, 4200, "t5");
	assert_null(vrrp_not_ready(VRRP_BACKUP, true, &seen, 4200));
	assert_string_equal(seen.heard_iso, "t4");
	assert_string_equal(vrrp_not_ready(VRRP_BACKUP, true, &seen, 6200),
			    "the peer is not heard on the sync link");
	/* A peer that never answers: heard never, whatever the backup's own queue. */
	seen = (struct vrrp_sync_seen){0};
	st = (struct vrrp_sync_stats){.packets_received = 0};
	vrrp_sync_look(&seen, &st, 1000, "t1");
	vrrp_sync_look(&seen, &st, 2000, "t2");
	assert_string_equal(vrrp_not_ready(VRRP_BACKUP, true, &seen, 2000),
			    "the peer is not heard on the sync link");
	assert_string_equal(seen.heard_iso, "");
}

/* vrrp.state in a temporary state directory: an older agent's (read, written again with its
 * checksum line), with its checksum line (read), damaged (set aside, the states unknown). */
/* What the IPsec tunnels on virtual addresses need, per state and per SA present. */
static void test_ipsec_step(void **state)
{
	struct vici_ike_sa ike[] = {{.name = "up", .state = "ESTABLISHED"},
				    {.name = "half", .state = "CONNECTING"}};
	struct vici_sas sas = {.ike = ike, .n_ike = 2}, none = {0};
	char name[VICI_NAME_MAX + 1];
	char long_name[VICI_NAME_MAX + 20];
#define STEP(line, st, tr, s) vrrp_ipsec_step(line, strlen(line), st, tr, s, name)

	(void)state;
	/* Master: one that initiates and has no IKE SA is started; one there is left. */
	assert_int_equal(STEP("down initiate", VRRP_MASTER, false, &sas), VRRP_IPSEC_INITIATE);
	assert_string_equal(name, "down");
	assert_int_equal(STEP("up initiate", VRRP_MASTER, false, &sas), VRRP_IPSEC_KEEP);
	assert_int_equal(STEP("half initiate", VRRP_MASTER, false, &sas), VRRP_IPSEC_KEEP);
	assert_int_equal(STEP("down respond", VRRP_MASTER, false, &sas), VRRP_IPSEC_KEEP);
	assert_int_equal(STEP("up respond", VRRP_MASTER, false, &sas), VRRP_IPSEC_KEEP);
	/* Just become master: an SA from before goes, an initiator starts afresh. */
	assert_int_equal(STEP("half initiate", VRRP_MASTER, true, &sas), VRRP_IPSEC_RESTART);
	assert_string_equal(name, "half");
	assert_int_equal(STEP("up respond", VRRP_MASTER, true, &sas), VRRP_IPSEC_TERMINATE);
	assert_int_equal(STEP("down initiate", VRRP_MASTER, true, &sas), VRRP_IPSEC_INITIATE);
	assert_int_equal(STEP("down respond", VRRP_MASTER, true, &sas), VRRP_IPSEC_KEEP);
	/* Not master: every SA closed, initiator or responder; nothing without one. */
	assert_int_equal(STEP("up initiate", VRRP_BACKUP, true, &sas), VRRP_IPSEC_TERMINATE);
	assert_string_equal(name, "up");
	assert_int_equal(STEP("half respond", VRRP_FAULT, false, &sas), VRRP_IPSEC_TERMINATE);
	assert_int_equal(STEP("up initiate", VRRP_INIT, false, &sas), VRRP_IPSEC_TERMINATE);
	assert_int_equal(STEP("up initiate", VRRP_BACKUP, false, &none), VRRP_IPSEC_KEEP);
	assert_int_equal(STEP("down initiate", VRRP_BACKUP, true, &sas), VRRP_IPSEC_KEEP);
	/* Names are whole: "u" is not "up". */
	assert_int_equal(STEP("u initiate", VRRP_BACKUP, false, &sas), VRRP_IPSEC_KEEP);
	/* Other lines. */
	assert_int_equal(STEP("up", VRRP_MASTER, false, &sas), -EINVAL);
	assert_int_equal(STEP(" initiate", VRRP_MASTER, false, &sas), -EINVAL);
	assert_int_equal(STEP("up start", VRRP_MASTER, false, &sas), -EINVAL);
	assert_int_equal(STEP("up initiate ", VRRP_MASTER, false, &sas), -EINVAL);
	assert_int_equal(STEP("up initiatex", VRRP_MASTER, false, &sas), -EINVAL);
	assert_int_equal(vrrp_ipsec_step("u\0p respond", 10, VRRP_MASTER, false, &sas, name),
			 -EINVAL);
	memset(long_name, 'a', sizeof(long_name));
	strcpy(long_name + VICI_NAME_MAX + 1, " respond");
	assert_int_equal(STEP(long_name, VRRP_MASTER, false, &sas), -EINVAL);
	strcpy(long_name + VICI_NAME_MAX, " respond");
	assert_int_equal(STEP(long_name, VRRP_MASTER, false, &sas), VRRP_IPSEC_KEEP);
	assert_int_equal(strlen(name), VICI_NAME_MAX);
#undef STEP
}

static void test_states(void **state)
{
	static const char older[] = "* master 0 2026-01-01T00:00:00Z\n"
				    "web master 150 2026-01-01T00:00:00Z\n";
	char dir[] = "/tmp/vrouter-test-vrrp-XXXXXX";
	char *services, *path, *text;
	struct vrrp_watch *w = calloc(1, sizeof(*w));
	struct strbuf warn = {0}, note = {0}, err = {0};
	struct statefile_aside *v = NULL;
	struct statefile f;
	size_t n = 0, len;

	(void)state;
	assert_non_null(w);
	assert_non_null(mkdtemp(dir));
	assert_true(asprintf(&services, "%s/services", dir) > 0);
	assert_int_equal(mkdir(services, 0700), 0);
	assert_true(asprintf(&path, "%s/vrrp.state", services) > 0);
	/* none: nothing known */
	assert_int_equal(vrrp_watch_init(w, dir, &warn, &note), 0);
	assert_int_equal(w->state, VRRP_INIT);
	assert_int_equal(w->n_groups, 0);
	assert_int_equal(warn.len + note.len, 0);
	vrrp_watch_done(w);
	/* an older agent's: read, said so, written again with its checksum line */
	assert_int_equal(statefile_write_raw(path, older, strlen(older), &err), 0);
	assert_int_equal(vrrp_watch_init(w, dir, &warn, &note), 0);
	assert_int_equal(w->state, VRRP_MASTER);
	assert_int_equal(w->n_groups, 1);
	assert_string_equal(w->groups[0].name, "web");
	assert_int_equal(w->groups[0].priority, 150);
	assert_non_null(strstr(strbuf_str(&note), "has no checksum line"));
	assert_int_equal(warn.len, 0);
	vrrp_watch_done(w);
	assert_int_equal(statefile_load(path, 1 << 20, &f, &err), 0);
	assert_int_equal(f.problem, SEAL_OK);
	assert_int_equal(f.body_len, strlen(older));
	assert_memory_equal(f.body, older, f.body_len);
	statefile_done(&f);
	/* with its checksum line: read, nothing to say */
	strbuf_truncate(&note, 0);
	assert_int_equal(vrrp_watch_init(w, dir, &warn, &note), 0);
	assert_int_equal(w->state, VRRP_MASTER);
	assert_int_equal(warn.len + note.len, 0);
	vrrp_watch_done(w);
	/* damaged: set aside, the states unknown */
	assert_int_equal(statefile_read(path, 1 << 20, &text, &len), 0);
	text[len - 10] ^= 0x01;
	assert_int_equal(statefile_write_raw(path, text, len, &err), 0);
	assert_int_equal(vrrp_watch_init(w, dir, &warn, &note), 0);
	assert_int_equal(w->state, VRRP_INIT);
	assert_int_equal(w->n_groups, 0);
	assert_non_null(strstr(strbuf_str(&warn), "set aside as"));
	vrrp_watch_done(w);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(statefile_aside_list(services, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].problem, SEAL_CHECKSUM);
	unlink(v[0].moved_to);
	statefile_aside_free(v, n);
	free(text);
	assert_int_equal(rmdir(services), 0);
	assert_int_equal(rmdir(dir), 0);
	free(services);
	free(path);
	free(w);
	strbuf_done(&warn);
	strbuf_done(&note);
	strbuf_done(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_feed),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_ready),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_ipsec_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
