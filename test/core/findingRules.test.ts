import { describe, expect, it } from 'vitest';
import { compileGlob, compileRule, FINDING_RULES, FindingRuleSchema, ruleFor } from '../../src/core/findingRules';

/**
 * Per rule: real paths (from the Debian/Alpine/RHEL packages and the official images that
 * install them) it must claim, and near misses it must not, most of them runtime files a
 * production image needs. A near miss claimed by no rule at all is listed under `none`.
 */
const CASES: Record<string, { matches: string[]; nearMisses: string[] }> = {
  gpp: {
    matches: [
      'usr/libexec/gcc/x86_64-linux-gnu/12/cc1plus',
      'usr/lib/gcc/x86_64-linux-gnu/10/cc1plus',
      'usr/bin/x86_64-linux-gnu-g++-12',
      'usr/bin/g++-12',
      'usr/include/c++/12/bits/stl_vector.h',
      'usr/include/x86_64-linux-gnu/c++/12/bits/c++config.h',
    ],
    nearMisses: ['usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30', 'usr/bin/c++filt'],
  },
  gcc: {
    matches: [
      'usr/libexec/gcc/x86_64-linux-gnu/12/cc1',
      'usr/libexec/gcc/x86_64-linux-gnu/12/lto1',
      'usr/lib/gcc/x86_64-linux-gnu/10/cc1',
      'usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a',
      'usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h',
      'usr/lib/gcc/x86_64-alpine-linux-musl/13.2.1/crtbegin.o',
      'usr/libexec/gcc/x86_64-redhat-linux/11/cc1',
      'usr/bin/x86_64-linux-gnu-gcc-12',
      'usr/bin/gcc-12',
      'usr/bin/x86_64-linux-gnu-cpp-12',
    ],
    nearMisses: [
      'usr/lib/x86_64-linux-gnu/libgcc_s.so.1',
      'lib/x86_64-linux-gnu/libgcc_s.so.1',
      'usr/lib64/libgcc_s-11-20221121.so.1',
      'usr/lib/libgcc_s.so.1',
    ],
  },
  binutils: {
    matches: ['usr/bin/x86_64-linux-gnu-ld.bfd', 'usr/bin/x86_64-linux-gnu-as', 'usr/bin/ld', 'usr/lib/x86_64-linux-gnu/libbfd-2.40-system.so'],
    nearMisses: ['usr/bin/ldd', 'usr/sbin/ldconfig'],
  },
  'clang-llvm': {
    matches: ['usr/lib/llvm-14/bin/clang', 'usr/lib/llvm-14/lib/libclang-cpp.so.14', 'usr/lib/llvm15/bin/clang-15', 'usr/bin/clang-14'],
    nearMisses: ['usr/lib/x86_64-linux-gnu/libLLVM-15.so.1', 'usr/lib/llvm-19/lib/libLLVM.so.1'],
  },
  'go-module-cache': {
    matches: ['go/pkg/mod/github.com/gin-gonic/gin@v1.9.1/gin.go', 'root/go/pkg/mod/cache/download/golang.org/x/net/@v/v0.17.0.zip'],
    nearMisses: ['go/bin/app', 'app/vendor/golang.org/x/mod/module/module.go'],
  },
  'go-build-cache': {
    matches: ['root/.cache/go-build/3f/3f2a9c0e1b-d'],
    nearMisses: ['root/.cache/app/state.json'],
  },
  'go-toolchain': {
    matches: [
      'usr/local/go/pkg/tool/linux_amd64/compile',
      'usr/local/go/src/net/http/server.go',
      'usr/lib/go-1.19/pkg/tool/linux_amd64/link',
      'usr/lib/go/bin/go',
    ],
    nearMisses: ['usr/local/bin/app', 'usr/local/gopher/data.bin'],
  },
  'cargo-registry': {
    matches: [
      'usr/local/cargo/registry/cache/index.crates.io-6f17d22bba15001f/serde-1.0.193.crate',
      'usr/local/cargo/registry/index/github.com-1ecc6299db9ec823/.git/objects/pack/pack-1.pack',
      'root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/tokio-1.35.0/src/lib.rs',
    ],
    nearMisses: ['usr/local/cargo/env'],
  },
  'rust-toolchain': {
    matches: [
      'usr/local/rustup/toolchains/1.74.1-x86_64-unknown-linux-gnu/lib/librustc_driver-2a2b4e4b.so',
      'usr/local/cargo/bin/rustc',
      'usr/local/cargo/bin/cargo',
      'root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/bin/rustc',
    ],
    nearMisses: ['usr/local/cargo/bin/myservice', 'usr/local/bin/myservice'],
  },
  jdk: {
    matches: [
      'usr/lib/jvm/java-17-openjdk-amd64/bin/javac',
      'usr/lib/jvm/java-17-openjdk-amd64/jmods/java.base.jmod',
      'usr/lib/jvm/java-8-openjdk-amd64/lib/tools.jar',
      'opt/java/openjdk/jmods/java.desktop.jmod',
      'opt/java/openjdk/lib/src.zip',
      'opt/java/openjdk/include/jni.h',
      'usr/local/openjdk-11/bin/jshell',
    ],
    nearMisses: [
      'opt/java/openjdk/lib/modules',
      'opt/java/openjdk/bin/java',
      'usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so',
      'opt/java/openjdk/bin/jcmd',
      'app/lib/tools.jar',
    ],
  },
  'dotnet-sdk': {
    matches: [
      'usr/share/dotnet/sdk/8.0.100/Roslyn/bincore/Microsoft.CodeAnalysis.CSharp.dll',
      'usr/share/dotnet/sdk-manifests/8.0.100/microsoft.net.workload.mono.toolchain.current/WorkloadManifest.json',
      'usr/share/dotnet/packs/Microsoft.NETCore.App.Ref/8.0.0/ref/net8.0/System.Runtime.dll',
      'usr/lib/dotnet/sdk/8.0.100/dotnet.dll',
      'root/.dotnet/sdk/8.0.100/dotnet.dll',
    ],
    nearMisses: [
      'usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/System.Private.CoreLib.dll',
      'usr/share/dotnet/shared/Microsoft.AspNetCore.App/8.0.0/Microsoft.AspNetCore.dll',
      'usr/share/dotnet/host/fxr/8.0.0/libhostfxr.so',
      'usr/share/dotnet/dotnet',
      'app/sdk/client.dll',
    ],
  },
  make: {
    matches: ['usr/bin/make', 'usr/include/gnumake.h', 'usr/share/doc/make/NEWS.gz'],
    nearMisses: ['usr/bin/makeconv', 'app/Makefile'],
  },
  cmake: {
    matches: ['usr/bin/cmake', 'usr/share/cmake-3.25/Modules/FindBoost.cmake', 'usr/local/bin/ctest'],
    nearMisses: ['usr/lib/x86_64-linux-gnu/cmake/Qt5/Qt5Config.cmake'],
  },
  'build-essential': {
    matches: ['usr/share/doc/build-essential/copyright', 'usr/share/build-essential/essential-packages-list', 'var/lib/dpkg/info/build-essential.list'],
    nearMisses: ['var/lib/dpkg/info/libc6:amd64.list', 'usr/share/doc/libc6/copyright'],
  },
  'node-gyp-headers': {
    matches: [
      'root/.cache/node-gyp/20.11.0/include/node/v8.h',
      'root/.node-gyp/18.19.0/include/node/node.h',
      'home/node/.cache/node-gyp/20.11.0/installVersion',
    ],
    nearMisses: ['usr/local/lib/node_modules/npm/node_modules/node-gyp/lib/node-gyp.js', 'usr/local/include/node/node.h'],
  },
  'python-headers': {
    matches: ['usr/include/python3.11/Python.h', 'usr/include/python3.11/cpython/object.h'],
    nearMisses: ['usr/lib/python3.11/os.py', 'usr/local/include/python3.12/Python.h'],
  },
  'c-headers': {
    matches: ['usr/include/stdio.h', 'usr/include/x86_64-linux-gnu/bits/types.h', 'usr/include/openssl/ssl.h', 'usr/local/include/librdkafka/rdkafka.h'],
    nearMisses: ['usr/lib/x86_64-linux-gnu/libc.so.6', 'usr/share/include-what-you-use/readme', 'app/include/config.h'],
  },
  'apt-lists': {
    matches: [
      'var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4',
      'var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease',
    ],
    nearMisses: ['var/lib/apt/lists/lock', 'var/lib/apt/lists/partial/deb.debian.org_debian_dists_bookworm_InRelease', 'var/lib/apt/extended_states'],
  },
  'apt-cache': {
    matches: [
      'var/cache/apt/archives/gcc-12_12.2.0-14_amd64.deb',
      'var/cache/apt/archives/partial/curl_7.88.1-10_amd64.deb',
      'var/cache/apt/pkgcache.bin',
      'var/cache/apt/srcpkgcache.bin',
    ],
    nearMisses: ['var/cache/apt/archives/lock', 'var/cache/debconf/config.dat', 'app/packages/tool_1.0_amd64.deb'],
  },
  'apk-cache': {
    matches: ['var/cache/apk/APKINDEX.6b0d0b8a.tar.gz', 'var/cache/apk/curl-8.5.0-r0.4c1d0b8a.apk'],
    nearMisses: ['lib/apk/db/installed', 'etc/apk/world'],
  },
  'rpm-cache': {
    matches: [
      'var/cache/dnf/appstream-25d4a1e1b8b2c7a4/repodata/primary.xml.zck',
      'var/cache/yum/x86_64/7/base/packages/gcc-4.8.5-44.el7.x86_64.rpm',
      'var/cache/tdnf/azurelinux-official-base/rpms/curl.rpm',
    ],
    nearMisses: ['var/lib/rpm/rpmdb.sqlite', 'var/lib/dnf/history.sqlite'],
  },
  'npm-cache': {
    matches: ['root/.npm/_cacache/content-v2/sha512/8a/0b/7f2e', 'home/node/.npm/_cacache/index-v5/1c/2d/3e4f'],
    nearMisses: ['app/node_modules/cacache/lib/index.js', 'usr/local/lib/node_modules/npm/node_modules/cacache/package.json', 'root/.npmrc'],
  },
  'yarn-cache': {
    matches: [
      'usr/local/share/.cache/yarn/v6/npm-lodash-4.17.21-679591c564c3bffaae8454cf0b3df370c3d6911c-integrity/node_modules/lodash/lodash.js',
      'home/node/.cache/yarn/v6/.tmp/x',
      'root/.yarn/berry/cache/lodash-npm-4.17.21-6382451519-10.zip',
    ],
    nearMisses: ['app/.yarn/cache/lodash-npm-4.17.21-6382451519-eb835a2e51.zip', 'app/.yarn/releases/yarn-4.0.2.cjs'],
  },
  'pnpm-store': {
    matches: ['root/.local/share/pnpm/store/v3/files/00/4b1e7f', 'app/.pnpm-store/v3/files/ab/cdef'],
    nearMisses: ['app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/lodash.js'],
  },
  'pip-cache': {
    matches: ['root/.cache/pip/http-v2/a/b/c/d/e/abcdef', 'home/app/.cache/pip/wheels/ab/cd/numpy-1.26.2-cp311-cp311-linux_x86_64.whl'],
    nearMisses: ['usr/local/lib/python3.12/site-packages/pip/_internal/cache.py', 'usr/lib/python3/dist-packages/pip/__init__.py'],
  },
  'maven-repository': {
    matches: ['root/.m2/repository/org/springframework/spring-core/6.1.1/spring-core-6.1.1.jar'],
    nearMisses: ['root/.m2/settings.xml', 'app/lib/spring-core-6.1.1.jar'],
  },
  'gradle-cache': {
    matches: [
      'root/.gradle/caches/modules-2/files-2.1/com.google.guava/guava/32.1.3-jre/abc/guava-32.1.3-jre.jar',
      'home/gradle/.gradle/wrapper/dists/gradle-8.5-bin/5t9huq95ubn472n8rpzujfbqh/gradle-8.5/lib/gradle-core-8.5.jar',
    ],
    nearMisses: ['root/.gradle/gradle.properties', 'app/build/libs/app.jar'],
  },
  'nuget-cache': {
    matches: [
      'root/.nuget/packages/newtonsoft.json/13.0.3/lib/net6.0/Newtonsoft.Json.dll',
      'root/.local/share/NuGet/v3-cache/abc/nupkg_newtonsoft.json.13.0.3.dat',
    ],
    nearMisses: ['app/Newtonsoft.Json.dll', 'root/.nuget/NuGet/NuGet.Config'],
  },
  'vcs-metadata': {
    matches: ['app/.git/objects/pack/pack-5b3c1f.pack', 'app/.git/HEAD', 'srv/site/.hg/store/00changelog.i', 'opt/legacy/.svn/wc.db', '.git/config'],
    nearMisses: ['app/.gitignore', 'app/.github/workflows/ci.yml', 'usr/share/doc/git/README.md', 'app/.gitattributes'],
  },
};

describe('FINDING_RULES', () => {
  it('has a test case for every rule, and every case is a rule', () => {
    expect(Object.keys(CASES).sort()).toEqual(FINDING_RULES.map((r) => r.id).sort());
  });

  it('has unique ids and valid entries', () => {
    expect(new Set(FINDING_RULES.map((r) => r.id)).size).toBe(FINDING_RULES.length);
    for (const rule of FINDING_RULES) expect(FindingRuleSchema.safeParse(rule).success).toBe(true);
  });

  it('writes labels and advice that fit the sentence they go in', () => {
    for (const rule of FINDING_RULES) {
      expect(rule.advice, rule.id).toMatch(/would drop them$/);
      expect(rule.label, rule.id).not.toMatch(/[.:;]$/);
    }
  });

  for (const [id, { matches, nearMisses }] of Object.entries(CASES)) {
    describe(id, () => {
      it.each(matches)('claims %s', (path) => {
        expect(ruleFor(path)?.id).toBe(id);
      });
      it.each(nearMisses)('does not claim %s (nor does any other rule)', (path) => {
        expect(ruleFor(path)?.id).toBeUndefined();
      });
    });
  }
});

describe('rule order', () => {
  it('gives each path to the first rule that matches, so overlapping rules never count a file twice', () => {
    // cc1plus is also under usr/libexec/gcc/**, the C++ headers also under usr/include/**
    expect(ruleFor('usr/libexec/gcc/x86_64-linux-gnu/12/cc1plus')?.id).toBe('gpp');
    expect(ruleFor('usr/include/c++/12/iostream')?.id).toBe('gpp');
    expect(ruleFor('usr/include/python3.11/Python.h')?.id).toBe('python-headers');
    // a cargo git index holds a .git directory; it is the registry's, not the project's
    expect(ruleFor('usr/local/cargo/git/db/serde-abc/.git/HEAD')?.id).toBe('cargo-registry');
  });
});

describe('requires: evidence the rule is about what it says', () => {
  const goRule = compileRule(FINDING_RULES.find((r) => r.id === 'go-toolchain')!);

  it('a Go toolchain is one with the compiler in pkg/tool', () => {
    expect(goRule.satisfies('usr/local/go/pkg/tool/linux_amd64/compile')).toBe(true);
    expect(goRule.satisfies('usr/lib/go-1.19/pkg/tool/linux_amd64/compile')).toBe(true);
    expect(goRule.satisfies('usr/local/go/bin/app')).toBe(false);
  });

  it('a rule without requires is satisfied by any path', () => {
    expect(compileRule(FINDING_RULES.find((r) => r.id === 'gcc')!).satisfies('etc/passwd')).toBe(true);
  });
});

describe('minBytes: a minimum is data too', () => {
  it('apt lists need at least 1 MiB, a compiler any content', () => {
    expect(FINDING_RULES.find((r) => r.id === 'apt-lists')?.minBytes).toBe(1024 * 1024);
    expect(FINDING_RULES.find((r) => r.id === 'gcc')?.minBytes).toBeUndefined();
  });
});

describe('compileGlob', () => {
  it('keeps * and ? within a segment, lets ** span segments', () => {
    expect(compileGlob('usr/bin/gcc*').test('usr/bin/gcc-12')).toBe(true);
    expect(compileGlob('usr/bin/gcc*').test('usr/bin/gcc/x')).toBe(false);
    expect(compileGlob('usr/lib/gcc/**').test('usr/lib/gcc/x86_64-linux-gnu/12/cc1')).toBe(true);
    expect(compileGlob('usr/lib/gcc/**').test('usr/lib/gcc')).toBe(false);
    expect(compileGlob('usr/lib/gcc/**').test('usr/lib/gccgo/x')).toBe(false);
    expect(compileGlob('**/.git/**').test('.git/HEAD')).toBe(true);
    expect(compileGlob('**/.git/**').test('a/b/.git/HEAD')).toBe(true);
    expect(compileGlob('**/.git/**').test('a/b.git/HEAD')).toBe(false);
    expect(compileGlob('a/**/b').test('a/b')).toBe(true);
    expect(compileGlob('a/**/b').test('a/x/y/b')).toBe(true);
    expect(compileGlob('file?.txt').test('file1.txt')).toBe(true);
    expect(compileGlob('file?.txt').test('file/.txt')).toBe(false);
  });

  it('expands braces and character classes, and escapes everything else', () => {
    expect(compileGlob('var/cache/{yum,dnf}/**').test('var/cache/dnf/x')).toBe(true);
    expect(compileGlob('{a,b}/{c,d}').test('b/c')).toBe(true);
    expect(compileGlob('usr/lib/llvm[0-9]*/**').test('usr/lib/llvm15/bin/clang')).toBe(true);
    expect(compileGlob('usr/lib/llvm[0-9]*/**').test('usr/lib/llvm-15/bin/clang')).toBe(false);
    expect(compileGlob('x[!a]').test('xb')).toBe(true);
    expect(compileGlob('x[!a]').test('xa')).toBe(false);
    expect(compileGlob('usr/bin/g++*').test('usr/bin/g++-12')).toBe(true);
    expect(compileGlob('lib.so').test('libxso')).toBe(false);
  });

  it('rejects what it cannot mean', () => {
    expect(() => compileGlob('a/**b')).toThrow(SyntaxError);
    expect(() => compileGlob('a/{b,c')).toThrow(SyntaxError);
    expect(() => compileGlob('a/[bc')).toThrow(SyntaxError);
  });
});

describe('FindingRuleSchema', () => {
  const rule = {
    id: 'x-cache',
    category: 'package-cache',
    label: 'x cache files',
    match: { include: ['x/**'] },
    remedy: 'multi-stage',
    advice: 'y would drop them',
  };

  it('accepts a well-formed rule, so the list is easy to extend', () => {
    expect(FindingRuleSchema.parse(rule)).toEqual(rule);
  });

  it('rejects absolute, empty-segment or broken patterns and unknown categories', () => {
    expect(FindingRuleSchema.safeParse({ ...rule, match: { include: ['/usr/lib/**'] } }).success).toBe(false);
    expect(FindingRuleSchema.safeParse({ ...rule, match: { include: ['usr//lib'] } }).success).toBe(false);
    expect(FindingRuleSchema.safeParse({ ...rule, match: { include: ['usr/**lib'] } }).success).toBe(false);
    expect(FindingRuleSchema.safeParse({ ...rule, match: { include: [] } }).success).toBe(false);
    expect(FindingRuleSchema.safeParse({ ...rule, category: 'docs' }).success).toBe(false);
    expect(FindingRuleSchema.safeParse({ ...rule, id: 'X Cache' }).success).toBe(false);
  });
});
