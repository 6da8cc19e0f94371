# approval-escalatord -- plain Makefile; libraries found through pkg-config.
#
#   make            build both binaries into build/
#   make check      install missing packages, build, run every test (also
#                   under AddressSanitizer + UBSan), print a summary
#   make demo       install missing packages, build, run the demo
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
UNITDIR		?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR	?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR	?= $(PREFIX)/lib/tmpfiles.d
COMPLETIONDIR	?= $(PREFIX)/share/bash-completion/completions
DATADIR		?= $(PREFIX)/share/approval-escalatord

CC		?= cc
B		?= build
PKGS		:= libevent sqlite3 libcurl libconfig libsystemd jansson libcrypto xlsxwriter
WARN		:= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		   -Wpointer-arith -Wcast-qual -Wformat=2
CFLAGS		?= -O2 -g
SANFLAGS	?=
PKG_CFLAGS	 = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	 = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv
ALL_CFLAGS	 = -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -Idaemon -MMD -MP
ALL_LDFLAGS	 = -pthread $(LDFLAGS) $(SANFLAGS)

# Pure modules: no globals, sockets or clocks; unit-tested directly.
UNIT_EXCL	:= daemon/main.c daemon/ctl.c
DAEMON_SRCS	:= $(filter-out daemon/ctl.c,$(wildcard daemon/*.c))
CTL_SRCS	:= daemon/ctl.c daemon/xmalloc.c daemon/utf8.c
UNIT_SRCS	:= $(wildcard tests/unit/check_*.c)

DAEMON_OBJS	:= $(DAEMON_SRCS:%.c=$(B)/%.o)
CTL_OBJS	:= $(CTL_SRCS:%.c=$(B)/%.o)
PURE_OBJS	:= $(filter-out $(UNIT_EXCL:%.c=$(B)/%.o),$(DAEMON_OBJS))
UNIT_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

all: $(B)/approval-escalatord $(B)/approval-escalatorctl

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/approval-escalatord: $(DAEMON_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(B)/approval-escalatorctl: $(CTL_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/tests/%: tests/unit/%.c $(PURE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags check) $(ALL_LDFLAGS) -o $@ $^ \
	    $(shell pkg-config --libs check) $(PKG_LIBS) -lm

unit: $(UNIT_BINS)

deps:
	@sh contrib/deps.sh

check: deps
	@sh tests/run-all.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@sh contrib/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@sh tests/bench/run.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	install -m 0755 $(B)/approval-escalatord $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(B)/approval-escalatorctl $(DESTDIR)$(BINDIR)/
	sh contrib/install-rules.sh "$(DESTDIR)$(SYSCONFDIR)/approval-escalatord" "$(DESTDIR)$(DATADIR)"
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(COMPLETIONDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' approval-escalatord.service \
	    > $(DESTDIR)$(UNITDIR)/approval-escalatord.service
	install -m 0644 contrib/sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/approval-escalatord.conf
	install -m 0644 contrib/tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/approval-escalatord.conf
	install -m 0644 contrib/approval-escalatorctl.bash $(DESTDIR)$(COMPLETIONDIR)/approval-escalatorctl
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/approval-escalatorctl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/approval-escalatord.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/approval-escalatord.8 $(DESTDIR)$(MANDIR)/man8/

# The Debian package build/deb/approval-escalatord_VERSION_ARCH.deb, built
# from a copy of the tree in build-deb/ (contrib/make-deb.sh).
deb: deps
	@sh contrib/make-deb.sh

clean:
	rm -rf build build-asan build-fuzz build-fuzz.build.log tests/tmp demo

# Fuzzing (tests/fuzz/run.sh): libFuzzer targets built with clang into
# build-fuzz/, each run for FUZZ_SECONDS after replaying the kept crashes.
FUZZ_SECONDS	?= 60

fuzz: deps
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

.PHONY: all unit deps check demo bench install clean fuzz deb print-pkgs

-include $(DAEMON_OBJS:.o=.d) $(CTL_OBJS:.o=.d)

# The pkg-config packages the daemon links (tests/bench/run.sh reads them).
print-pkgs:
	@echo $(PKGS)
