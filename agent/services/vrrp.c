/* SPDX-License-Identifier: MIT */
/* keepalived's transitions through its FIFO, and the hold file (vrrp.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/cleanup.h"
#include "render/render.h"
#include "state/statefile.h"
#include "vrrp.h"

#define STANDBY_FILE RENDER_DHCP_STANDBY_DIR "/vrrp"

static const char *const state_names[] = {
	[VRRP_INIT] = "init", [VRRP_BACKUP] = "backup", [VRRP_MASTER] = "master",
	[VRRP_FAULT] = "fault", [VRRP_STOP] = "stop",
};

const char *vrrp_state_to_string(enum vrrp_state s)
{
	return (size_t)s < ELEMENTSOF(state_names) ? state_names[s] : NULL;
}

static int state_from_word(const char *w, size_t n, enum vrrp_state *ret)
{
	static const char *const words[] = {
		[VRRP_BACKUP] = "BACKUP", [VRRP_MASTER] = "MASTER",
		[VRRP_FAULT] = "FAULT", [VRRP_STOP] = "STOP",
	};
	size_t i;

	for (i = VRRP_BACKUP; i < ELEMENTSOF(words); i++)
		if (strlen(words[i]) == n && !memcmp(words[i], w, n)) {
			*ret = (enum vrrp_state)i;
			return 0;
		}
	return -EINVAL;
}

int vrrp_line_parse(const char *line, struct vrrp_line *ret)
{
	const char *p, *q, *end;
	unsigned long prio = 0;
	char *e;

	*ret = (struct vrrp_line){0};
	if (!strncmp(line, "GROUP \"", 7)) {
		ret->sync_group = true;
		p = line + 7;
	} else if (!strncmp(line, "INSTANCE \"", 10)) {
		p = line + 10;
	} else {
		return -EINVAL;
	}
	q = strchr(p, '"');
	if (!q || q == p || (size_t)(q - p) >= VRRP_NAME_MAX || q[1] != ' ')
		return -EINVAL;
	memcpy(ret->name, p, (size_t)(q - p));
	p = q + 2;
	end = strchr(p, ' ');
	if (state_from_word(p, end ? (size_t)(end - p) : strlen(p), &ret->state) < 0)
		return -EINVAL;
	if (end) {
		errno = 0;
		prio = strtoul(end + 1, &e, 10);
		if (errno || e == end + 1 || *e || prio > 255)
			return -EINVAL;
	}
	if (!ret->sync_group && !end)
		return -EINVAL;
	ret->priority = (unsigned)prio;
	return 0;
}

int vrrp_dhcp_standby(bool standby, struct strbuf *err)
{
	static const char line[] = "*:*:*:*:*:*,ignore\n";
	_cleanup_close_ int fd = -1;
	struct stat st;
	bool is = stat(STANDBY_FILE, &st) == 0;

	if (is == standby)
		return 0;
	if (!standby) {
		if (unlink(STANDBY_FILE) < 0 && errno != ENOENT) {
			strbuf_printf(err, "cannot remove %s: %s", STANDBY_FILE, strerror(errno));
			return -errno;
		}
		return 1;
	}
	/* dnsmasq reads it as user dnsmasq: 0755 and 0644 whatever the umask. */
	if ((mkdir(RENDER_DHCP_STANDBY_DIR, 0755) < 0 && errno != EEXIST) ||
	    chmod(RENDER_DHCP_STANDBY_DIR, 0755) < 0) {
		strbuf_printf(err, "cannot make %s: %s", RENDER_DHCP_STANDBY_DIR, strerror(errno));
		return -errno;
	}
	fd = open(STANDBY_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || fchmod(fd, 0644) < 0 ||
	    write(fd, line, sizeof(line) - 1) != (ssize_t)sizeof(line) - 1) {
		strbuf_printf(err, "cannot write %s: %s", STANDBY_FILE, strerror(errno));
		return -errno;
	}
	return 1;
}

int vrrp_prepare(struct strbuf *err)
{
	struct stat st;
	int r = vrrp_dhcp_standby(true, err);

	if (r < 0)
		return r;
	if (mkfifo(RENDER_VRRP_FIFO, 0600) == 0)
		return 0;
	if (errno != EEXIST) {
		strbuf_printf(err, "cannot make %s: %s", RENDER_VRRP_FIFO, strerror(errno));
		return -errno;
	}
	if (stat(RENDER_VRRP_FIFO, &st) == 0 && S_ISFIFO(st.st_mode))
		return 0;
	strbuf_printf(err, "%s exists and is not a FIFO", RENDER_VRRP_FIFO);
	return -EEXIST;
}

/* ---- the states kept for the next agent (a state file, state/statefile.h): "NAME STATE
 * PRIORITY SINCE" per group, the router's first with the name "*" ---- */

/* The largest vrrp.state read: its lines for the most groups there are, and room. */
#define STATES_MAX (1u << 22)

static void save_states(const struct vrrp_watch *w)
{
	struct strbuf text = {0}, ignored = {0};
	size_t i;

	if (!w->state_path)
		return;
	strbuf_printf(&text, "* %s 0 %s\n", vrrp_state_to_string(w->state), w->since);
	for (i = 0; i < w->n_groups; i++)
		strbuf_printf(&text, "%s %s %u %s\n", w->groups[i].name,
			      vrrp_state_to_string(w->groups[i].state), w->groups[i].priority,
			      w->groups[i].since);
	/* Not saved: the next agent starts from what keepalived tells it. */
	if (!text.oom)
		statefile_save(w->state_path, text.s, text.len, STATEFILE_SYNC, &ignored);
	strbuf_done(&text);
	strbuf_done(&ignored);
}

static int state_from_string(const char *s, enum vrrp_state *ret)
{
	size_t i;

	for (i = 0; i < ELEMENTSOF(state_names); i++)
		if (!strcmp(s, state_names[i])) {
			*ret = (enum vrrp_state)i;
			return 0;
		}
	return -EINVAL;
}

static void parse_states(struct vrrp_watch *w, FILE *f)
{
	char name[VRRP_NAME_MAX], state[16], since[64];
	unsigned prio;

	while (w->n_groups < VRRP_GROUPS_MAX &&
	       fscanf(f, "%63s %15s %u %63s", name, state, &prio, since) == 4) {
		enum vrrp_state s;

		if (state_from_string(state, &s) < 0)
			break;
		if (!strcmp(name, "*")) {
			w->state = s;
			memcpy(w->since, since, sizeof(since));
			continue;
		}
		struct vrrp_group_state *g = &w->groups[w->n_groups++];

		memcpy(g->name, name, sizeof(name));
		g->state = s;
		g->priority = prio;
		memcpy(g->since, since, sizeof(since));
	}
}

/* The states the last agent kept: from a file with its checksum line, or an older agent's
 * (then written again with one); a damaged file is set aside, and the states are what
 * keepalived reports next. */
static void load_states(struct vrrp_watch *w, struct strbuf *warnings, struct strbuf *notices)
{
	_cleanup_free_ char *aside = NULL;
	struct strbuf err = {0};
	struct statefile f;
	FILE *mem;

	if (statefile_load(w->state_path, STATES_MAX, &f, &err) < 0) {
		strbuf_done(&err);
		return;
	}
	if (f.problem == SEAL_UNSEALED && strncmp(f.text, "* ", 2)) {
		f.problem = SEAL_HEADER;
		free(f.detail);
		f.detail = strdup("it starts with neither a checksum line nor the router's state");
	}
	if (f.problem == SEAL_OK || f.problem == SEAL_UNSEALED) {
		mem = f.body_len ? fmemopen((void *)f.body, f.body_len, "r") : NULL;
		if (mem) {
			parse_states(w, mem);
			fclose(mem);
		}
		if (f.problem == SEAL_UNSEALED) {
			strbuf_printf(notices, "%s has no checksum line (written by an older "
					       "vrouterd): read, and written again with one\n",
				      w->state_path);
			save_states(w);
		}
	} else {
		strbuf_printf(warnings, "the VRRP states %s: %s%s%s; ", w->state_path,
			      seal_problem_describe(f.problem), f.detail ? ": " : "",
			      f.detail ? f.detail : "");
		if (statefile_set_aside(w->state_path, f.problem, &aside, &err) >= 0)
			strbuf_printf(warnings, "set aside as %s; the states are keepalived's next "
						"report\n",
				      aside);
		else
			strbuf_printf(warnings, "it cannot be set aside (%s); not used\n",
				      strbuf_str(&err));
	}
	statefile_done(&f);
	strbuf_done(&err);
}

int vrrp_watch_init(struct vrrp_watch *w, const char *state_dir, struct strbuf *warnings,
		    struct strbuf *notices)
{
	*w = (struct vrrp_watch){.fd = -1};
	svcd_now_iso(w->since);
	if (asprintf(&w->state_path, "%s/services/vrrp.state", state_dir) < 0) {
		w->state_path = NULL;
		return -ENOMEM;
	}
	load_states(w, warnings, notices);
	return 0;
}

/* Opens the FIFO when it exists (keepalived runs, or ran). */
static void watch_open(struct vrrp_watch *w)
{
	struct stat st;

	if (w->fd >= 0 || stat(RENDER_VRRP_FIFO, &st) < 0 || !S_ISFIFO(st.st_mode))
		return;
	w->fd = open(RENDER_VRRP_FIFO, O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

void vrrp_watch_done(struct vrrp_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->state_path);
	*w = (struct vrrp_watch){.fd = -1};
}

void vrrp_end(struct vrrp_watch *w)
{
	w->n_groups = 0;
	w->state = VRRP_INIT;
	svcd_now_iso(w->since);
	if (w->state_path)
		unlink(w->state_path);
	unlink(RENDER_VRRP_HOLD);
	unlink(STANDBY_FILE);
}

static struct vrrp_group_state *group(struct vrrp_watch *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->n_groups; i++)
		if (!strcmp(w->groups[i].name, name))
			return &w->groups[i];
	if (w->n_groups == VRRP_GROUPS_MAX)
		return NULL;
	w->groups[w->n_groups] = (struct vrrp_group_state){.state = VRRP_INIT};
	memcpy(w->groups[w->n_groups].name, name, VRRP_NAME_MAX);
	return &w->groups[w->n_groups++];
}

/* One line: a group's state, and the router's: its sync group's, or (one group, or before
 * the sync group's line) the state all groups agree on. Returns whether the router's state
 * changed. */
static bool apply_line(struct vrrp_watch *w, const struct vrrp_line *l, struct strbuf *log)
{
	enum vrrp_state router = l->state;
	struct vrrp_group_state *g;
	size_t i;

	if (!l->sync_group) {
		g = group(w, l->name);
		if (!g)
			return false;
		svcd_now_iso(g->since);
		g->state = l->state;
		g->priority = l->priority;
		strbuf_printf(log, "vrrp: group %s is %s (priority %u)\n", l->name,
			      vrrp_state_to_string(l->state), l->priority);
		for (i = 0; i < w->n_groups; i++)
			if (w->groups[i].state != l->state)
				router = w->state;
	}
	if (w->state == router)
		return false;
	w->state = router;
	svcd_now_iso(w->since);
	strbuf_printf(log, "vrrp: this router is %s\n", vrrp_state_to_string(router));
	return true;
}

bool vrrp_watch_feed(struct vrrp_watch *w, const char *buf, size_t n, struct strbuf *log)
{
	bool changed = false;
	size_t i;

	for (i = 0; i < n; i++) {
		struct vrrp_line l;

		if (buf[i] != '\n') {
			/* A line longer than any keepalived writes is cut, then refused. */
			if (w->n_partial < sizeof(w->partial) - 1)
				w->partial[w->n_partial++] = buf[i];
			continue;
		}
		w->partial[w->n_partial] = '\0';
		w->n_partial = 0;
		if (vrrp_line_parse(w->partial, &l) < 0)
			strbuf_printf(log, "vrrp: unknown line from keepalived: %.200s\n",
				      w->partial);
		else if (apply_line(w, &l, log))
			changed = true;
	}
	return changed;
}

int vrrp_watch_read(struct vrrp_watch *w, enum vrrp_state *before, struct strbuf *log)
{
	bool changed = false, got = false;
	char buf[4096];
	ssize_t n;

	*before = w->state;
	watch_open(w);
	if (w->fd < 0)
		return 0;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		got = true;
		if (vrrp_watch_feed(w, buf, (size_t)n, log))
			changed = true;
	}
	if (n < 0 && errno != EAGAIN)
		return -errno;
	if (got)
		save_states(w);
	return changed;
}

/* The number after word and its separators, or before word on its line ("2 Pckts sent"). */
static unsigned long long number_near(const char *text, const char *word, bool before)
{
	const char *p = text ? strstr(text, word) : NULL, *q;

	if (!p)
		return 0;
	if (!before) {
		p += strlen(word);
		while (*p == ' ' || *p == '\t' || *p == ':')
			p++;
		return strtoull(p, NULL, 10);
	}
	q = p;
	while (q > text && q[-1] == ' ')
		q--;
	while (q > text && q[-1] >= '0' && q[-1] <= '9')
		q--;
	return strtoull(q, NULL, 10);
}

void vrrp_sync_stats_parse(const char *stats, const char *rsqueue, struct vrrp_sync_stats *ret)
{
	const char *inject = strstr(stats, "external inject:"), *p;

	*ret = (struct vrrp_sync_stats){0};
	ret->entries = number_near(stats, "current active connections", false);
	ret->injected = inject ? number_near(inject, "connections created:", false) : 0;
	ret->packets_sent = number_near(stats, "Pckts sent", true);
	ret->packets_received = number_near(stats, "Pckts recv", true);
	/* The queue lists its messages oldest first: "object -> seq:2", "control -> seq:1
	 * flags:8". Control messages are not counted: an ACK stays there until the peer's next
	 * one, so one is nearly always pending on a quiet link. */
	for (p = rsqueue; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *seq = strstr(p, "seq:"), *nl = strchr(p, '\n');

		if (strncmp(p, "object ->", 9) || !seq || (nl && seq > nl))
			continue;
		ret->newest_seq = (uint32_t)strtoul(seq + 4, NULL, 10);
		if (!ret->unacknowledged++)
			ret->oldest_seq = ret->newest_seq;
	}
}

int vrrp_hold_write(int value, struct strbuf *err)
{
	_cleanup_close_ int fd = -1;
	char line[16];
	int n = snprintf(line, sizeof(line), "%d\n", value);

	fd = open(RENDER_VRRP_HOLD, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n) {
		strbuf_printf(err, "cannot write %s: %s", RENDER_VRRP_HOLD, strerror(errno));
		return -errno;
	}
	return 0;
}

int vrrp_hold_read(void)
{
	char buf[16] = {0};
	_cleanup_close_ int fd = open(RENDER_VRRP_HOLD, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return 0;
	return atoi(buf);
}
