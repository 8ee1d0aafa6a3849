# Included by rules when PYDIO_PREBUILT names a CMake build directory whose pydio-agentd and
# agentctl are already built (packaging/build-deb --prebuilt): nothing is configured, compiled
# or tested; that directory's own install rules (cmake --install) put its files into
# debian/tmp where the full build's override_dh_auto_install puts them, and every later
# debhelper step (strip, shlibdeps, systemd, docs, maintainer scripts) is the full build's.
# The units, man pages and completion are this tree's (an older build directory, such as the
# previous release's the package scenario upgrades from, may predate them).
override_dh_auto_configure override_dh_auto_build override_dh_auto_test:
	@echo "prebuilt binaries from $(PYDIO_PREBUILT): nothing to do for $@"

override_dh_auto_install:
	DESTDIR=$(CURDIR)/debian/tmp cmake --install $(PYDIO_PREBUILT) --prefix /usr
	rm -rf debian/tmp/usr/lib/systemd/system
	rmdir -p --ignore-fail-on-non-empty debian/tmp/usr/lib/systemd
	install -D -m 0644 -t debian/tmp/lib/systemd/system systemd/pydio-agentd.service \
	   systemd/pydio-db-proxy.service
	install -D -m 0644 -t debian/tmp/usr/share/man/man8 docs/man/agentctl.8 docs/man/pydio-agentd.8
	install -D -m 0644 -t debian/tmp/usr/share/bash-completion/completions packaging/completion/agentctl

# No -dbgsym package and no dwz pass over the debug information: with a RelWithDebInfo build
# directory they are the slowest steps, and a test package has no use for them. The binaries
# are stripped as in the full build.
export DEB_BUILD_OPTIONS += noddebs
override_dh_dwz:
	@echo "prebuilt: no dwz"
