/*
 * arca-bench-gen: deterministic benchmark dataset generator.
 *
 *   arca-bench-gen DIR [--v2] [--scale F] [--changes FILE]
 *
 * Without --v2 it creates DIR (which must be missing or empty) holding
 * records.jsonl (scale * 1 GiB of JSONL churn events) and files/xx/yy/
 * (scale * 20000 small files, 1-80 KiB, half text and half random bytes).
 * Every byte, size, mode and mtime is a pure function of the scale, so two
 * runs give identical trees.
 *
 * With --v2 it turns a v1 tree of the same scale into v2 in place: 1% more
 * records appended, 1% of the small files modified (middle rewrite or
 * append), 1% new small files.  --changes FILE (outside DIR) receives one
 * line per change, paths relative to DIR:
 *   append records.jsonl OFFSET   (bytes from OFFSET on are new)
 *   modify PATH
 *   add PATH
 *
 * Every record and every file is generated from its own splitmix64 stream
 * seeded from its index, so v2 can generate "record N" or "file N" without
 * replaying what came before it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define SEED		0x61726361u		/* "arca" */
#define T_V1		1704067200		/* 2024-01-01T00:00:00Z */
#define T_V2		1706745600		/* 2024-02-01T00:00:00Z */
#define JSONL_BYTES	1073741824.0		/* at scale 1 */
#define REC_AVG		524.0		/* measured mean line length */
#define NFILES		20000.0			/* at scale 1 */
#define FILE_MIN	1024u
#define FILE_MAX	(80u * 1024u)
#define OUTBUF		(4u << 20)
#define REC_MAX		2048u		/* bound on one JSONL line */

enum { S_REC = 1, S_CUST, S_FILE, S_MOD, S_PICK };

/* ---------------------------------------------------------------- errors */

static const char *prog = "arca-bench-gen";

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/* ------------------------------------------------------------------ PRNG */

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct rng {
	uint64_t s;
};

static inline uint64_t rnext(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ull;
	return mix64(r->s);
}

static struct rng rseed(unsigned stream, uint64_t index)
{
	struct rng r;

	r.s = mix64((uint64_t)SEED ^ mix64(((uint64_t)stream << 56) ^ index));
	return r;
}

/* ----------------------------------------------------------- word lists */

struct word {
	const char *s;
	size_t n;
};

#define W(x) { x, sizeof(x) - 1 }
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct word first_names[64] = {
	W("Anna"), W("Ben"), W("Clara"), W("David"), W("Emma"), W("Felix"),
	W("Greta"), W("Hugo"), W("Ida"), W("Jonas"), W("Karla"), W("Leon"),
	W("Mia"), W("Noah"), W("Olga"), W("Paul"), W("Quinn"), W("Rosa"),
	W("Sam"), W("Tara"), W("Umar"), W("Vera"), W("Will"), W("Xenia"),
	W("Yusuf"), W("Zoe"), W("Aisha"), W("Bruno"), W("Chen"), W("Dara"),
	W("Elif"), W("Farid"), W("Gina"), W("Hiro"), W("Ines"), W("Jamal"),
	W("Kenji"), W("Lena"), W("Mateo"), W("Nadia"), W("Oscar"), W("Priya"),
	W("Rafael"), W("Sofia"), W("Tomas"), W("Uma"), W("Victor"), W("Wen"),
	W("Yara"), W("Zara"), W("Alice"), W("Bob"), W("Carol"), W("Dmitri"),
	W("Eva"), W("Frank"), W("Hana"), W("Ivan"), W("Julia"), W("Kofi"),
	W("Lucas"), W("Maya"), W("Nils"), W("Omar"),
};

static const struct word last_names[64] = {
	W("Smith"), W("Muller"), W("Garcia"), W("Rossi"), W("Novak"),
	W("Kowalski"), W("Silva"), W("Jensen"), W("Dubois"), W("Tanaka"),
	W("Kim"), W("Nguyen"), W("Patel"), W("Cohen"), W("Ibrahim"),
	W("Okafor"), W("Larsen"), W("Schmidt"), W("Fischer"), W("Weber"),
	W("Meyer"), W("Wagner"), W("Becker"), W("Hoffmann"), W("Brown"),
	W("Jones"), W("Miller"), W("Davis"), W("Wilson"), W("Taylor"),
	W("Moore"), W("Martin"), W("Lee"), W("Walker"), W("Hall"),
	W("Young"), W("King"), W("Wright"), W("Lopez"), W("Hill"),
	W("Scott"), W("Green"), W("Adams"), W("Baker"), W("Nelson"),
	W("Carter"), W("Mitchell"), W("Perez"), W("Roberts"), W("Turner"),
	W("Phillips"), W("Campbell"), W("Parker"), W("Evans"), W("Edwards"),
	W("Collins"), W("Stewart"), W("Sanchez"), W("Morris"), W("Rogers"),
	W("Reed"), W("Cook"), W("Morgan"), W("Bell"),
};

struct city {
	const char *name, *country;
	size_t n;
};

#define C(x, c) { x, c, sizeof(x) - 1 }
static const struct city cities[32] = {
	C("Berlin", "DE"), C("Hamburg", "DE"), C("Munich", "DE"),
	C("Paris", "FR"), C("Lyon", "FR"), C("Madrid", "ES"),
	C("Barcelona", "ES"), C("Rome", "IT"), C("Milan", "IT"),
	C("Amsterdam", "NL"), C("Rotterdam", "NL"), C("Vienna", "AT"),
	C("Zurich", "CH"), C("Warsaw", "PL"), C("Prague", "CZ"),
	C("Stockholm", "SE"), C("Oslo", "NO"), C("Copenhagen", "DK"),
	C("Helsinki", "FI"), C("Dublin", "IE"), C("London", "GB"),
	C("Manchester", "GB"), C("Lisbon", "PT"), C("Brussels", "BE"),
	C("New York", "US"), C("Chicago", "US"), C("Austin", "US"),
	C("Seattle", "US"), C("Toronto", "CA"), C("Tokyo", "JP"),
	C("Sydney", "AU"), C("Singapore", "SG"),
};

static const struct word domains[8] = {
	W("mail.example"), W("example.com"), W("post.example"),
	W("inbox.example"), W("corp.example"), W("web.example"),
	W("example.org"), W("example.net"),
};

struct plan {
	const char *name;
	size_t n;
	unsigned cents;		/* monthly price per seat */
};

#define P(x, c) { x, sizeof(x) - 1, c }
static const struct plan plans[8] = {
	P("free", 0), P("starter", 900), P("basic", 1900), P("basic", 1900),
	P("pro", 4900), P("pro", 4900), P("business", 9900),
	P("enterprise", 29900),
};

static const struct word events[16] = {
	W("login"), W("login"), W("login"), W("page_view"), W("page_view"),
	W("invoice_paid"), W("invoice_paid"), W("support_ticket"),
	W("upgrade"), W("downgrade"), W("payment_failed"), W("seat_added"),
	W("seat_removed"), W("cancel_request"), W("cancelled"),
	W("reactivated"),
};

static const struct word channels[8] = {
	W("web"), W("web"), W("web"), W("ios"), W("android"), W("api"),
	W("email"), W("phone"),
};

static const struct word reasons[16] = {
	W("none"), W("none"), W("none"), W("none"), W("none"), W("none"),
	W("price"), W("price"), W("missing_feature"), W("competitor"),
	W("bugs"), W("support"), W("budget_cut"), W("company_closed"),
	W("not_using"), W("other"),
};

/* Fragments of free-text notes, as an agent would type them. */
static const struct word phrases[64] = {
	W("customer asked about pricing"), W("called support twice"),
	W("invoice disputed"), W("wants annual billing"),
	W("complained about slow sync"), W("mentioned a competitor"),
	W("offered 20% discount"), W("offered 3 months free"),
	W("escalated to account manager"), W("no response to last email"),
	W("team size reduced"), W("budget frozen until next quarter"),
	W("happy with the product"), W("requested SSO"),
	W("requested export to CSV"), W("mobile app crashes on login"),
	W("card expired"), W("payment retried"), W("moved to new company"),
	W("trial ended"), W("asked for refund"), W("refund issued"),
	W("onboarding call scheduled"), W("onboarding not completed"),
	W("usage dropped last month"), W("usage growing"),
	W("added two seats"), W("removed one seat"), W("API limits hit"),
	W("wants on-premise version"), W("security review pending"),
	W("legal review pending"), W("renewal in 30 days"),
	W("renewal in 60 days"), W("champion left the company"),
	W("new champion identified"), W("reported data loss"),
	W("issue resolved"), W("issue not reproducible"),
	W("ticket closed"), W("ticket reopened"), W("feature request logged"),
	W("survey answered"), W("survey ignored"), W("NPS follow-up sent"),
	W("left a review"), W("asked about GDPR"), W("asked about SOC 2"),
	W("integration with CRM broken"), W("webhook failures"),
	W("timezone bug reported"), W("password reset loop"),
	W("prefers phone contact"), W("prefers email contact"),
	W("out of office"), W("will decide next week"),
	W("comparing plans"), W("considering downgrade"),
	W("considering upgrade"), W("contract signed"),
	W("contract not signed"), W("PO required"), W("VAT number updated"),
	W("billing address changed"),
};

/* General vocabulary for markdown and CSV files. */
static const struct word vocab[128] = {
	W("the"), W("a"), W("of"), W("and"), W("to"), W("in"), W("is"),
	W("for"), W("on"), W("with"), W("as"), W("by"), W("at"), W("from"),
	W("this"), W("that"), W("be"), W("are"), W("was"), W("it"),
	W("data"), W("backup"), W("server"), W("report"), W("quarter"),
	W("revenue"), W("customer"), W("project"), W("release"), W("team"),
	W("meeting"), W("budget"), W("plan"), W("review"), W("system"),
	W("network"), W("storage"), W("policy"), W("update"), W("version"),
	W("issue"), W("change"), W("test"), W("deploy"), W("build"),
	W("service"), W("client"), W("account"), W("invoice"), W("order"),
	W("product"), W("market"), W("sales"), W("growth"), W("risk"),
	W("cost"), W("time"), W("week"), W("month"), W("year"), W("new"),
	W("old"), W("large"), W("small"), W("fast"), W("slow"), W("high"),
	W("low"), W("first"), W("last"), W("next"), W("final"), W("draft"),
	W("open"), W("closed"), W("pending"), W("approved"), W("rejected"),
	W("should"), W("will"), W("can"), W("must"), W("may"), W("not"),
	W("all"), W("some"), W("each"), W("more"), W("less"), W("most"),
	W("we"), W("they"), W("our"), W("their"), W("has"), W("have"),
	W("need"), W("needs"), W("use"), W("used"), W("make"), W("made"),
	W("check"), W("checked"), W("move"), W("moved"), W("store"),
	W("stored"), W("restore"), W("archive"), W("file"), W("files"),
	W("disk"), W("copy"), W("copies"), W("daily"), W("weekly"),
	W("monthly"), W("north"), W("south"), W("east"), W("west"),
	W("central"), W("region"), W("total"), W("average"), W("ready"),
	W("done"),
};

static const struct word regions[8] = {
	W("eu-west"), W("eu-central"), W("us-east"), W("us-west"),
	W("ap-south"), W("ap-east"), W("sa-east"), W("af-south"),
};

static const struct word products[16] = {
	W("widget-a"), W("widget-b"), W("gadget"), W("gizmo-pro"),
	W("gizmo-lite"), W("sprocket"), W("flange-10"), W("flange-20"),
	W("bracket"), W("hinge"), W("valve-s"), W("valve-l"), W("pump"),
	W("sensor"), W("cable-1m"), W("cable-3m"),
};

/* ------------------------------------------------------- text emitters */

static inline char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUTS(p, lit) put(p, lit, sizeof(lit) - 1)

static inline char *putword(char *p, const struct word *w)
{
	return put(p, w->s, w->n);
}

static inline char *putu(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static inline char *put0(char *p, unsigned v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* Amount in cents as "123.45". */
static inline char *putmoney(char *p, uint64_t cents)
{
	p = putu(p, cents / 100);
	*p++ = '.';
	return put0(p, (unsigned)(cents % 100), 2);
}

static inline char *puthex(char *p, uint64_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = digits - 1; i >= 0; i--) {
		p[i] = hex[v & 15];
		v >>= 4;
	}
	return p + digits;
}

static inline char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Days since 1970-01-01 to "YYYY-MM-DD" (H. Hinnant's civil_from_days). */
static char *putdate(char *p, int64_t days)
{
	int64_t z = days + 719468, era, y;
	unsigned doe, yoe, doy, mp, d, m;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	p = put0(p, (unsigned)y, 4);
	*p++ = '-';
	p = put0(p, m, 2);
	*p++ = '-';
	return put0(p, d, 2);
}

/* Milliseconds since the epoch to "YYYY-MM-DDTHH:MM:SS.mmmZ". */
static char *putts(char *p, uint64_t ms)
{
	uint64_t s = ms / 1000;
	unsigned sod = (unsigned)(s % 86400);

	p = putdate(p, (int64_t)(s / 86400));
	*p++ = 'T';
	p = put0(p, sod / 3600, 2);
	*p++ = ':';
	p = put0(p, sod / 60 % 60, 2);
	*p++ = ':';
	p = put0(p, sod % 60, 2);
	*p++ = '.';
	p = put0(p, (unsigned)(ms % 1000), 3);
	*p++ = 'Z';
	return p;
}

/* ------------------------------------------------------------ records */

#define TS0_MS		1672531200000ull	/* 2023-01-01T00:00:00Z */
#define TS_STEP_MS	11000u		/* ~2.9M records a year */
#define NCUST		400000u

/* One JSONL line for record i, at most REC_MAX bytes. */
static char *gen_record(char *p, uint64_t i)
{
	struct rng r = rseed(S_REC, i), cr;
	uint64_t x, ts, cust, signup, cents;
	const struct word *fn, *ln, *ev;
	const struct city *city;
	const struct plan *plan;
	unsigned seats, k, nphr, j;
	size_t n;

	x = rnext(&r);
	ts = TS0_MS + i * TS_STEP_MS + x % TS_STEP_MS;
	cust = (x >> 32) % NCUST;

	/* Customer attributes are a function of the customer alone. */
	cr = rseed(S_CUST, cust);
	x = rnext(&cr);
	fn = &first_names[x & 63];
	ln = &last_names[(x >> 6) & 63];
	city = &cities[(x >> 12) & 31];
	plan = &plans[(x >> 17) & 7];
	signup = 16436 + (x >> 20) % 2900;	/* 2015-01-01 .. 2022-12-09 */
	seats = plan->cents >= 9900 ? 1 + (unsigned)((x >> 40) % 50) :
		1 + (unsigned)((x >> 40) % 5);

	x = rnext(&r);
	ev = &events[x & 15];

	p = PUTS(p, "{\"id\":");
	p = putu(p, i);
	p = PUTS(p, ",\"event_id\":\"ev_");
	p = puthex(p, rnext(&r), 16);
	p = PUTS(p, "\",\"ts\":\"");
	p = putts(p, ts);
	p = PUTS(p, "\",\"event\":\"");
	p = putword(p, ev);
	p = PUTS(p, "\",\"channel\":\"");
	p = putword(p, &channels[(x >> 4) & 7]);
	p = PUTS(p, "\",\"customer\":{\"id\":\"C");
	p = put0(p, (unsigned)cust, 7);
	p = PUTS(p, "\",\"first_name\":\"");
	p = putword(p, fn);
	p = PUTS(p, "\",\"last_name\":\"");
	p = putword(p, ln);
	p = PUTS(p, "\",\"email\":\"");
	for (n = 0; n < fn->n; n++)
		*p++ = lower(fn->s[n]);
	*p++ = '.';
	for (n = 0; n < ln->n; n++)
		*p++ = lower(ln->s[n]);
	p = putu(p, cust % 100);
	*p++ = '@';
	p = putword(p, &domains[cust & 7]);
	p = PUTS(p, "\",\"city\":\"");
	p = put(p, city->name, city->n);
	p = PUTS(p, "\",\"country\":\"");
	p = put(p, city->country, 2);
	p = PUTS(p, "\",\"signup_date\":\"");
	p = putdate(p, (int64_t)signup);
	p = PUTS(p, "\"},\"plan\":\"");
	p = put(p, plan->name, plan->n);
	p = PUTS(p, "\",\"seats\":");
	p = putu(p, seats);
	p = PUTS(p, ",\"mrr\":");
	cents = (uint64_t)plan->cents * seats;
	p = putmoney(p, cents);
	p = PUTS(p, ",\"tenure_days\":");
	p = putu(p, ts / 86400000 - signup);
	p = PUTS(p, ",\"logins_30d\":");
	p = putu(p, (x >> 8) % 60);
	p = PUTS(p, ",\"tickets_90d\":");
	p = putu(p, (x >> 16) % 7 * ((x >> 19) % 3 == 0));
	p = PUTS(p, ",\"nps\":");
	if ((x >> 22) & 1)
		p = putu(p, (x >> 23) % 11);
	else
		p = PUTS(p, "null");
	p = PUTS(p, ",\"churn_risk\":0.");
	p = put0(p, (unsigned)((x >> 27) % 1000), 3);
	p = PUTS(p, ",\"churned\":");
	if (ev == &events[14])
		p = PUTS(p, "true");
	else
		p = PUTS(p, "false");
	p = PUTS(p, ",\"reason\":\"");
	if (ev == &events[9] || ev == &events[13] || ev == &events[14])
		p = putword(p, &reasons[(x >> 37) & 15]);
	else
		p = PUTS(p, "none");
	p = PUTS(p, "\",\"note\":\"");
	nphr = (unsigned)((x >> 41) % 4);
	for (j = 0; j < nphr; j++) {
		k = (unsigned)(x >> (45 + 6 * j)) & 63;
		if (j)
			p = PUTS(p, "; ");
		p = putword(p, &phrases[k]);
	}
	x = rnext(&r);
	p = PUTS(p, "\",\"ip\":\"");
	p = putu(p, 1 + (x & 0xff) % 223);
	*p++ = '.';
	p = putu(p, (x >> 8) & 0xff);
	*p++ = '.';
	p = putu(p, (x >> 16) & 0xff);
	*p++ = '.';
	p = putu(p, (x >> 24) & 0xff);
	p = PUTS(p, "\",\"session_s\":");
	p = putu(p, (x >> 32) % 7200);
	p = PUTS(p, ",\"agent\":\"");
	p = putword(p, &first_names[(x >> 45) & 63]);
	p = PUTS(p, "\"}\n");
	return p;
}

/* --------------------------------------------------------------- output */

static void write_all(int fd, const char *path, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write %s: %s", path, strerror(errno));
		}
		if (w == 0)
			die("write %s: no progress", path);
		p += w;
		n -= (size_t)w;
	}
}

static void pwrite_all(int fd, const char *path, const char *p, size_t n,
		       off_t off)
{
	ssize_t w;

	while (n) {
		w = pwrite(fd, p, n, off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write %s: %s", path, strerror(errno));
		}
		if (w == 0)
			die("write %s: no progress", path);
		p += w;
		off += w;
		n -= (size_t)w;
	}
}

static void xclose(int fd, const char *path)
{
	if (close(fd) < 0)
		die("close %s: %s", path, strerror(errno));
}

static void set_times(int fd, const char *path, time_t t)
{
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = t;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (fd >= 0) {
		if (futimens(fd, ts) < 0)
			die("futimens %s: %s", path, strerror(errno));
	} else if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0) {
		die("utimensat %s: %s", path, strerror(errno));
	}
}

/* Appends records [first, first + count) to fd; returns bytes written. */
static uint64_t write_records(int fd, const char *path, uint64_t first,
			      uint64_t count)
{
	char *buf = xmalloc(OUTBUF), *p = buf;
	uint64_t i, total = 0;

	for (i = first; i < first + count; i++) {
		if ((size_t)(p - buf) > OUTBUF - REC_MAX) {
			write_all(fd, path, buf, (size_t)(p - buf));
			total += (uint64_t)(p - buf);
			p = buf;
		}
		p = gen_record(p, i);
	}
	write_all(fd, path, buf, (size_t)(p - buf));
	total += (uint64_t)(p - buf);
	free(buf);
	return total;
}

/* ---------------------------------------------------------- small files */

enum kind { K_CSV, K_JSON, K_MD, K_JPG, K_PNG };

static const char *const kind_ext[] = { "csv", "json", "md", "jpg", "png" };

struct finfo {
	enum kind kind;
	unsigned d1, d2;
	size_t size;
};

static struct finfo file_info(uint64_t i)
{
	struct rng r = rseed(S_FILE, i);
	uint64_t x = rnext(&r);
	struct finfo f;

	f.d1 = (unsigned)(x & 15);
	f.d2 = (unsigned)((x >> 4) & 15);
	if ((x >> 8) & 1)
		f.kind = (enum kind)(K_JPG + ((x >> 9) & 1));
	else
		f.kind = (enum kind)((x >> 10) % 3);
	f.size = FILE_MIN + (size_t)((x >> 16) % (FILE_MAX - FILE_MIN + 1));
	return f;
}

static void file_path(char *out, size_t cap, const char *dir, uint64_t i,
		      const struct finfo *f)
{
	int n = snprintf(out, cap, "%s/files/%02x/%02x/%05llu.%s", dir, f->d1,
			 f->d2, (unsigned long long)i, kind_ext[f->kind]);

	if (n < 0 || (size_t)n >= cap)
		die("path too long under %s", dir);
}

/*
 * Fills buf with n bytes of content of the given kind, from r.  buf must
 * have n + 4096 bytes of room: text is generated past n and cut.  If
 * header is set the content starts like a file of that kind, else it is a
 * continuation (used for v2 rewrites and appends).
 */
static void gen_content(char *buf, size_t n, enum kind kind, struct rng *r,
			int header)
{
	char *p = buf, *end = buf + n;
	uint64_t x, row = 0;
	unsigned j, k;

	switch (kind) {
	case K_JPG:
	case K_PNG:
		if (header && kind == K_JPG)
			p = PUTS(p, "\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0"
				 "\x01\0\x01\0\0");
		else if (header)
			p = PUTS(p, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
		while (p < end) {
			/* Little-endian on every host; one store on x86. */
			x = rnext(r);
			for (j = 0; j < 8; j++)
				*p++ = (char)(unsigned char)(x >> (8 * j));
		}
		return;
	case K_CSV:
		if (header)
			p = PUTS(p, "date,region,product,sku,units,"
				 "unit_price,total,status,comment\n");
		while (p < end) {
			x = rnext(r);
			p = putdate(p, 19358 + (int64_t)(row++ / 40));
			*p++ = ',';
			p = putword(p, &regions[x & 7]);
			*p++ = ',';
			p = putword(p, &products[(x >> 3) & 15]);
			p = PUTS(p, ",SKU-");
			p = put0(p, (unsigned)((x >> 7) % 10000), 4);
			*p++ = ',';
			k = 1 + (unsigned)((x >> 21) % 200);
			p = putu(p, k);
			*p++ = ',';
			p = putmoney(p, 99 + (x >> 29) % 9900);
			*p++ = ',';
			p = putmoney(p, (99 + (x >> 29) % 9900) * k);
			*p++ = ',';
			p = putword(p, &vocab[73 + ((x >> 43) & 3)]);
			*p++ = ',';
			for (j = 0; j < (unsigned)((x >> 45) & 3); j++) {
				if (j)
					*p++ = ' ';
				k = (unsigned)(x >> (47 + 7 * j)) & 127;
				p = putword(p, &vocab[k]);
			}
			*p++ = '\n';
		}
		return;
	case K_JSON:
		if (header)
			p = PUTS(p, "{\n  \"generated\": \"2024-01-01\",\n"
				 "  \"items\": [\n");
		while (p < end) {
			x = rnext(r);
			p = PUTS(p, "    {\n      \"id\": ");
			p = putu(p, row++);
			p = PUTS(p, ",\n      \"product\": \"");
			p = putword(p, &products[x & 15]);
			p = PUTS(p, "\",\n      \"region\": \"");
			p = putword(p, &regions[(x >> 4) & 7]);
			p = PUTS(p, "\",\n      \"qty\": ");
			p = putu(p, (x >> 7) % 500);
			p = PUTS(p, ",\n      \"price\": ");
			p = putmoney(p, 99 + (x >> 16) % 20000);
			p = PUTS(p, ",\n      \"active\": ");
			if ((x >> 31) & 1)
				p = PUTS(p, "true");
			else
				p = PUTS(p, "false");
			p = PUTS(p, ",\n      \"tags\": [\"");
			p = putword(p, &vocab[20 + ((x >> 32) & 63)]);
			p = PUTS(p, "\", \"");
			p = putword(p, &vocab[20 + ((x >> 38) & 63)]);
			p = PUTS(p, "\"]\n    },\n");
		}
		return;
	case K_MD:
		if (header)
			p = PUTS(p, "# Notes\n\n");
		while (p < end) {
			x = rnext(r);
			if ((x & 7) == 0) {
				p = PUTS(p, "## ");
				p = putword(p, &vocab[20 + ((x >> 3) & 63)]);
				*p++ = ' ';
				p = putword(p, &vocab[20 + ((x >> 9) & 63)]);
				p = PUTS(p, "\n\n");
			} else if ((x & 7) == 1) {
				for (j = 0; j < 4; j++) {
					p = PUTS(p, "- ");
					k = (unsigned)(x >> (3 + 6 * j)) & 63;
					p = putword(p, &phrases[k]);
					*p++ = '\n';
				}
				*p++ = '\n';
			}
			/* A paragraph of 3-6 sentences of 5-12 words. */
			k = 3 + (unsigned)((x >> 30) & 3);
			while (k--) {
				x = rnext(r);
				j = 5 + (unsigned)(x % 8);
				x >>= 3;
				p = putword(p, &vocab[x & 127]);
				while (--j) {
					if ((j & 7) == 0)
						x = rnext(r);
					x >>= 7;
					*p++ = ' ';
					p = putword(p, &vocab[x & 127]);
				}
				p = PUTS(p, ". ");
			}
			p[-1] = '\n';
			*p++ = '\n';
		}
		return;
	}
}

/* ------------------------------------------------------------ tree work */

struct dirlist {
	char **v;
	size_t n, cap;
};

static void dirlist_add(struct dirlist *l, const char *path)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], path))
			return;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			die("out of memory");
	}
	l->v[l->n++] = xstrdup(path);
}

/* Gives every directory in l the times t, then frees l. */
static void dirlist_stamp(struct dirlist *l, time_t t)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		set_times(-1, l->v[i], t);
		free(l->v[i]);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Creates path if missing; returns 1 if it created it. */
static int mkdir_one(const char *path)
{
	struct stat st;

	if (mkdir(path, 0755) == 0) {
		if (chmod(path, 0755) < 0)
			die("chmod %s: %s", path, strerror(errno));
		return 1;
	}
	if (errno != EEXIST)
		die("mkdir %s: %s", path, strerror(errno));
	if (stat(path, &st) < 0)
		die("stat %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		die("%s exists and is not a directory", path);
	return 0;
}

/*
 * Makes DIR/files/xx/yy; every directory whose entries change (the leaf,
 * and the parent of each directory created) goes to touched, so its mtime
 * can be fixed once all writing is done.
 */
static void make_parent(const char *dir, const struct finfo *f,
			struct dirlist *touched)
{
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX];
	int n = snprintf(c, sizeof(c), "%s/files/%02x/%02x", dir, f->d1,
			 f->d2);

	if (n < 0 || (size_t)n >= sizeof(c))
		die("path too long under %s", dir);
	memcpy(a, c, (size_t)n - 6);	/* strip "/xx/yy" */
	a[n - 6] = '\0';
	memcpy(b, c, (size_t)n - 3);	/* strip "/yy" */
	b[n - 3] = '\0';
	if (mkdir_one(a))
		dirlist_add(touched, dir);
	if (mkdir_one(b))
		dirlist_add(touched, a);
	if (mkdir_one(c))
		dirlist_add(touched, b);
	dirlist_add(touched, c);
}

/* Writes small file i (v1 content); returns its size. */
static size_t write_file(const char *dir, uint64_t i, char *buf,
			 struct dirlist *touched, int excl, time_t t,
			 char *path, size_t pathcap)
{
	struct finfo f = file_info(i);
	struct rng r = rseed(S_FILE, i);
	int fd;

	(void)rnext(&r);	/* the draw used by file_info */
	file_path(path, pathcap, dir, i, &f);
	make_parent(dir, &f, touched);
	gen_content(buf, f.size, f.kind, &r, 1);
	fd = open(path, O_WRONLY | O_CREAT | (excl ? O_EXCL : O_TRUNC), 0644);
	if (fd < 0)
		die("create %s: %s", path, strerror(errno));
	if (fchmod(fd, 0644) < 0)
		die("chmod %s: %s", path, strerror(errno));
	write_all(fd, path, buf, f.size);
	set_times(fd, path, t);
	xclose(fd, path);
	return f.size;
}

static void check_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		die("open %s: %s", dir, strerror(errno));
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			die("%s is not empty (v1 needs a new or empty "
			    "directory)", dir);
	closedir(d);
}

/* Number of records and files at a scale. */
static uint64_t nrecords(double scale)
{
	double n = scale * JSONL_BYTES / REC_AVG + 0.5;

	return n < 1 ? 1 : (uint64_t)n;
}

static uint64_t nfiles(double scale)
{
	double n = scale * NFILES + 0.5;

	return n < 1 ? 1 : (uint64_t)n;
}

static uint64_t percent1(uint64_t n)
{
	return n / 100 ? n / 100 : 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void gen_v1(const char *dir, double scale)
{
	uint64_t nrec = nrecords(scale), nf = nfiles(scale), i, bytes;
	struct dirlist touched = { 0 };
	char path[PATH_MAX];
	char *buf = xmalloc(FILE_MAX + 4096);
	double t0 = now();
	int fd;

	if (mkdir(dir, 0755) < 0) {
		if (errno != EEXIST)
			die("mkdir %s: %s", dir, strerror(errno));
		check_empty(dir);
	}
	if (chmod(dir, 0755) < 0)
		die("chmod %s: %s", dir, strerror(errno));
	dirlist_add(&touched, dir);

	snprintf(path, sizeof(path), "%s/records.jsonl", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		die("create %s: %s", path, strerror(errno));
	if (fchmod(fd, 0644) < 0)
		die("chmod %s: %s", path, strerror(errno));
	bytes = write_records(fd, path, 0, nrec);
	set_times(fd, path, T_V1);
	xclose(fd, path);

	for (i = 0; i < nf; i++)
		bytes += write_file(dir, i, buf, &touched, 1, T_V1, path,
				    sizeof(path));

	dirlist_stamp(&touched, T_V1);
	printf("v1: %llu records, %llu files, %llu bytes in %.2f s\n",
	       (unsigned long long)nrec, (unsigned long long)nf + 1,
	       (unsigned long long)bytes, now() - t0);
	free(buf);
}

/* Reads the id of the last record in records.jsonl; -1 if none. */
static int64_t last_record_id(const char *path, off_t *size)
{
	char tail[REC_MAX + 1], *p;
	struct stat st;
	ssize_t n;
	off_t off;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		die("stat %s: %s", path, strerror(errno));
	*size = st.st_size;
	off = st.st_size > REC_MAX ? st.st_size - REC_MAX : 0;
	n = pread(fd, tail, (size_t)(st.st_size - off), off);
	if (n < 0)
		die("read %s: %s", path, strerror(errno));
	xclose(fd, path);
	tail[n] = '\0';
	if (n < 2 || tail[n - 1] != '\n')
		return -1;
	tail[n - 1] = '\0';
	p = strrchr(tail, '\n');
	p = p ? p + 1 : tail;
	if (strncmp(p, "{\"id\":", 6))
		return -1;
	return strtoll(p + 6, NULL, 10);
}

/* The small file changed by the k-th v2 modification: one per block. */
static uint64_t mod_pick(uint64_t k, uint64_t nf, uint64_t nmod)
{
	struct rng r = rseed(S_PICK, k);
	uint64_t span = nf / nmod;

	return k * span + rnext(&r) % span;
}

static void gen_v2(const char *dir, double scale, const char *changes)
{
	uint64_t nrec = nrecords(scale), nf = nfiles(scale);
	uint64_t nmod = percent1(nf), nadd = percent1(nf), k, i, bytes;
	struct dirlist touched = { 0 };
	char path[PATH_MAX];
	char *buf = xmalloc(FILE_MAX + 4096);
	FILE *log = NULL;
	double t0 = now();
	struct finfo f;
	struct stat st;
	off_t size;
	int fd;

	/* Check the whole tree before changing anything. */
	snprintf(path, sizeof(path), "%s/records.jsonl", dir);
	if (last_record_id(path, &size) != (int64_t)nrec - 1)
		die("%s does not end with record %llu: not a v1 tree of "
		    "scale %g, or v2 was already applied", path,
		    (unsigned long long)nrec - 1, scale);
	for (k = 0; k < nmod; k++) {
		i = mod_pick(k, nf, nmod);
		f = file_info(i);
		file_path(path, sizeof(path), dir, i, &f);
		if (stat(path, &st) < 0)
			die("stat %s: %s", path, strerror(errno));
		if (!S_ISREG(st.st_mode) || (size_t)st.st_size != f.size)
			die("%s is not a %zu-byte file: not a v1 tree of "
			    "scale %g", path, f.size, scale);
	}
	for (i = nf; i < nf + nadd; i++) {
		f = file_info(i);
		file_path(path, sizeof(path), dir, i, &f);
		if (lstat(path, &st) == 0 || errno != ENOENT)
			die("%s already exists: not a v1 tree of scale %g",
			    path, scale);
	}
	if (changes) {
		log = fopen(changes, "w");
		if (!log)
			die("create %s: %s", changes, strerror(errno));
	}

	snprintf(path, sizeof(path), "%s/records.jsonl", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	bytes = write_records(fd, path, nrec, percent1(nrec));
	set_times(fd, path, T_V2);
	xclose(fd, path);
	if (log)
		fprintf(log, "append records.jsonl %lld\n", (long long)size);

	/* Even k rewrite an eighth of the file from a third in; odd append. */
	for (k = 0; k < nmod; k++) {
		struct rng r;
		size_t len;
		off_t off;

		i = mod_pick(k, nf, nmod);
		f = file_info(i);
		file_path(path, sizeof(path), dir, i, &f);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			die("open %s: %s", path, strerror(errno));
		len = f.size / 8 > 256 ? f.size / 8 : 256;
		r = rseed(S_MOD, i);
		if (k & 1) {
			off = (off_t)f.size;
		} else {
			off = (off_t)(f.size / 3);
			if (len > f.size - (size_t)off)
				len = f.size - (size_t)off;
		}
		gen_content(buf, len, f.kind, &r, 0);
		pwrite_all(fd, path, buf, len, off);
		set_times(fd, path, T_V2);
		xclose(fd, path);
		bytes += len;
		if (log)
			fprintf(log, "modify %s\n", path + strlen(dir) + 1);
	}

	for (i = nf; i < nf + nadd; i++) {
		bytes += write_file(dir, i, buf, &touched, 1, T_V2, path,
				    sizeof(path));
		if (log)
			fprintf(log, "add %s\n", path + strlen(dir) + 1);
	}

	dirlist_stamp(&touched, T_V2);
	if (log && (ferror(log) | fclose(log)))
		die("write %s: %s", changes, strerror(errno));
	printf("v2: %llu records appended, %llu files modified, %llu added, "
	       "%llu bytes written in %.2f s\n",
	       (unsigned long long)percent1(nrec), (unsigned long long)nmod,
	       (unsigned long long)nadd, (unsigned long long)bytes,
	       now() - t0);
	free(buf);
}

static void usage(void)
{
	fprintf(stderr, "usage: %s DIR [--v2] [--scale F] [--changes FILE]\n"
		"  v1: creates DIR (missing or empty) with ~2 GiB * F\n"
		"  --v2: changes a v1 tree of the same scale in place\n"
		"  --changes FILE: with --v2, list what changed in FILE\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *changes = NULL;
	double scale = 1.0;
	char *end;
	int v2 = 0, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--v2")) {
			v2 = 1;
		} else if (!strcmp(argv[i], "--scale") && i + 1 < argc) {
			errno = 0;
			scale = strtod(argv[++i], &end);
			if (errno || *end || !(scale > 0) || scale > 1000)
				die("bad --scale '%s' (want a number in "
				    "(0, 1000])", argv[i]);
		} else if (!strcmp(argv[i], "--changes") && i + 1 < argc) {
			changes = argv[++i];
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			usage();
		} else if (argv[i][0] == '-' || dir) {
			usage();
		} else {
			dir = argv[i];
		}
	}
	if (!dir)
		usage();
	if (changes && !v2)
		die("--changes only applies with --v2");
	umask(022);
	if (v2)
		gen_v2(dir, scale, changes);
	else
		gen_v1(dir, scale);
	if (fflush(stdout) != 0 || ferror(stdout))
		die("write stdout: %s", strerror(errno));
	return 0;
}
