import { z } from 'zod';

/**
 * What does not belong in a production image, as data: each rule names the paths of one
 * build-time thing (a compiler, an SDK, a package cache…) in an image's final filesystem,
 * and what would drop them. Paths are the normalised ones of src/core/layerIndex.ts
 * (relative, no leading `/`): `usr/lib/gcc/x86_64-linux-gnu/12/cc1`.
 *
 * Patterns are globs: `*` and `?` stay within one path segment, `**` spans any number of
 * segments (`dir/**` is "everything under dir"; a leading `**` segment means "at any depth"), `[…]` is a
 * character class and `{a,b}` alternatives. Globs rather than regexes so that a rule reads
 * like the paths it names and can be written in config one day without escaping.
 *
 * Order matters: a path is claimed by the FIRST rule that matches it, so its bytes are
 * never counted twice; more specific rules (g++ before gcc, a cargo registry before the
 * Rust toolchain, caches before `.git`, which caches hold internally) come first.
 */

export const FINDING_CATEGORIES = ['compiler', 'sdk', 'build-tool', 'headers', 'package-cache', 'package-index', 'vcs'] as const;
export type FindingCategory = (typeof FINDING_CATEGORIES)[number];

/** What drops the files: the advice text says how, this says which kind of change it is. */
export const REMEDIES = ['multi-stage', 'runtime-image', 'same-step-cleanup', 'dockerignore'] as const;
export type Remedy = (typeof REMEDIES)[number];

const Glob = z
  .string()
  .min(1)
  .refine((g) => !g.startsWith('/') && !g.endsWith('/') && !g.split('/').includes(''), 'must be a relative path pattern without empty segments')
  .refine((g) => globCompiles(g), 'must be a valid glob');

export const FindingRuleSchema = z.object({
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be kebab-case'),
  category: z.enum(FINDING_CATEGORIES),
  /** A plural noun phrase: advice reads "{label} (…) were added by …". */
  label: z.string().min(1),
  match: z.object({
    include: z.array(Glob).min(1),
    exclude: z.array(Glob).optional(),
    /**
     * The rule applies only when some final path matches one of these: the evidence that
     * the matched directory really is what the rule says (a Go toolchain has `pkg/tool`).
     */
    requires: z.array(Glob).optional(),
  }),
  /** Below this many bytes (per layer) a match is noise, not a finding. Default: any content. */
  minBytes: z.number().int().nonnegative().optional(),
  remedy: z.enum(REMEDIES),
  /** A clause ending in "would drop them": advice reads "…; {advice}: −X per pull, …". */
  advice: z.string().min(1),
});
export type FindingRule = z.infer<typeof FindingRuleSchema>;

const MIB = 1024 * 1024;
/** Package indexes and caches of a few hundred KiB are a side effect of any install, not worth a card line. */
const CACHE_MIN_BYTES = MIB;
/** One stray header from a -dev dependency is noise; a -dev package's worth is not. */
const HEADERS_MIN_BYTES = 256 * 1024;

const MULTI_STAGE = 'a multi-stage build that copies only the build output would drop them';
const CACHE_MULTI_STAGE = 'a multi-stage build (or a BuildKit cache mount, `RUN --mount=type=cache`) would drop them';

/** Where JDKs install: Debian/RHEL/Ubuntu packages, Eclipse Temurin, the old openjdk images, Oracle RPMs. */
const JDK_HOMES = '{usr/lib/jvm/*,opt/java/openjdk,usr/local/openjdk-*,usr/java/*}';
/** Tools only a JDK has; the diagnostics (jcmd, jstack, jmap) are left out on purpose, they earn their place in production. */
const JDK_TOOLS = '{javac,jar,jarsigner,javadoc,javap,jdeprscan,jdeps,jimage,jlink,jmod,jpackage,jshell,serialver,rmic,jhsdb}';
/** Where the .NET SDK lands: the official images and tarballs, Ubuntu's packages, dotnet-install.sh. */
const DOTNET_ROOTS = '{usr/share/dotnet,usr/lib/dotnet,usr/local/share/dotnet,opt/dotnet,root/.dotnet,home/*/.dotnet}';
/** rustup's proxies (hardlinks of one binary); anything else in cargo's bin is likely the app from `cargo install`. */
const RUST_PROXIES = '{cargo,cargo-clippy,cargo-fmt,cargo-miri,clippy-driver,rls,rust-analyzer,rust-gdb,rust-gdbgui,rust-lldb,rustc,rustdoc,rustfmt,rustup}';

const RULES: FindingRule[] = [
  {
    id: 'gpp',
    category: 'compiler',
    label: 'g++ and the C++ standard library headers',
    match: {
      include: [
        'usr/bin/g++*',
        'usr/bin/*-g++*',
        'usr/bin/c++',
        'usr/libexec/gcc/*/*/cc1plus',
        'usr/lib/gcc/*/*/cc1plus',
        'usr/include/c++/**',
        // Debian's multiarch half of the C++ headers (bits/c++config.h).
        'usr/include/*-linux-gnu/c++/**',
      ],
    },
    remedy: 'multi-stage',
    advice: MULTI_STAGE,
  },
  {
    id: 'gcc',
    category: 'compiler',
    label: 'gcc and its support files',
    match: {
      // The runtime (libgcc_s.so.1, libstdc++.so.6) lives in usr/lib/<triplet>/ or usr/lib64/, never under usr/lib/gcc/.
      include: [
        'usr/lib/gcc/**',
        'usr/libexec/gcc/**',
        'usr/bin/gcc*',
        'usr/bin/*-gcc*',
        'usr/bin/cc',
        'usr/bin/c89*',
        'usr/bin/c99*',
        'usr/bin/cpp*',
        'usr/bin/*-cpp*',
        'usr/bin/gcov*',
        'usr/bin/*-gcov*',
        'usr/bin/lto-dump*',
        'usr/bin/*-lto-dump*',
      ],
    },
    remedy: 'multi-stage',
    advice: MULTI_STAGE,
  },
  {
    id: 'binutils',
    category: 'compiler',
    label: 'the assembler and linker (binutils)',
    match: {
      include: [
        'usr/bin/{as,ld,ld.bfd,ld.gold,gold}',
        'usr/bin/*-linux-*-{as,ld,ld.bfd,ld.gold,gold}',
        'usr/lib/*-linux-gnu/libbfd-*.so',
        'usr/lib/*-linux-gnu/libopcodes-*.so',
        'usr/lib/*-linux-gnu/libctf*.so*',
      ],
    },
    remedy: 'multi-stage',
    advice: MULTI_STAGE,
  },
  {
    id: 'clang-llvm',
    category: 'compiler',
    label: 'clang and the LLVM tools',
    match: {
      // Debian/Ubuntu `usr/lib/llvm-15`, Alpine `usr/lib/llvm15`.
      include: ['usr/lib/llvm-*/**', 'usr/lib/llvm[0-9]*/**', 'usr/lib/clang/**', 'usr/bin/clang*', 'usr/bin/llvm-*'],
      // libLLVM is a runtime library too (Mesa's llvmpipe loads it); apt.llvm.org puts the real file in usr/lib/llvm-N/lib.
      exclude: ['usr/lib/llvm*/lib/libLLVM*'],
    },
    remedy: 'multi-stage',
    advice: MULTI_STAGE,
  },
  {
    id: 'go-module-cache',
    category: 'package-cache',
    label: 'Go module cache files',
    // GOPATH is /go in the golang images, ~/go elsewhere.
    match: { include: ['**/go/pkg/mod/**'] },
    minBytes: CACHE_MIN_BYTES,
    remedy: 'multi-stage',
    advice: CACHE_MULTI_STAGE,
  },
  {
    id: 'go-build-cache',
    category: 'package-cache',
    label: 'Go build cache files',
    match: { include: ['**/.cache/go-build/**'] },
    minBytes: CACHE_MIN_BYTES,
    remedy: 'multi-stage',
    advice: CACHE_MULTI_STAGE,
  },
  {
    id: 'go-toolchain',
    category: 'sdk',
    label: 'the Go toolchain',
    match: {
      // golang images `usr/local/go`, Debian's golang-1.N-go/-src, Alpine's go package.
      include: ['usr/local/go/**', 'usr/lib/go-*/**', 'usr/share/go-*/**', 'usr/lib/go/**'],
      // A binary compiled from Go needs none of GOROOT; only a real toolchain has the compiler in pkg/tool.
      requires: ['usr/local/go/pkg/tool/**', 'usr/lib/go-*/pkg/tool/**', 'usr/lib/go/pkg/tool/**'],
    },
    remedy: 'multi-stage',
    advice: 'building in a golang stage and copying only the binary into a slim, distroless or scratch final stage would drop them',
  },
  {
    id: 'cargo-registry',
    category: 'package-cache',
    label: 'Cargo registry and git checkout files',
    match: { include: ['usr/local/cargo/registry/**', 'usr/local/cargo/git/**', '**/.cargo/registry/**', '**/.cargo/git/**'] },
    minBytes: CACHE_MIN_BYTES,
    remedy: 'multi-stage',
    advice: CACHE_MULTI_STAGE,
  },
  {
    id: 'rust-toolchain',
    category: 'sdk',
    label: 'the Rust toolchain (rustup, rustc, cargo)',
    // The rust images set RUSTUP_HOME=/usr/local/rustup and CARGO_HOME=/usr/local/cargo; rustup.sh uses ~/.rustup and ~/.cargo.
    match: { include: ['usr/local/rustup/**', '**/.rustup/**', `usr/local/cargo/bin/${RUST_PROXIES}`, `**/.cargo/bin/${RUST_PROXIES}`] },
    remedy: 'multi-stage',
    advice: 'building in a rust stage and copying only the binary into a slim, distroless or scratch final stage would drop them',
  },
  {
    id: 'jdk',
    category: 'sdk',
    label: 'JDK-only parts (javac, jmods, tools.jar)',
    match: {
      include: [
        `${JDK_HOMES}/bin/${JDK_TOOLS}`,
        `${JDK_HOMES}/jmods/**`,
        `${JDK_HOMES}/lib/{tools.jar,src.zip,ct.sym}`,
        `${JDK_HOMES}/include/**`,
        `${JDK_HOMES}/{demo,sample}/**`,
      ],
    },
    remedy: 'runtime-image',
    advice: 'a JRE base (e.g. eclipse-temurin:<version>-jre) or a jlink-built runtime in the final stage would drop them',
  },
  {
    id: 'dotnet-sdk',
    category: 'sdk',
    label: 'the .NET SDK',
    // The runtime is shared/ and host/ (what the runtime and aspnet images hold); the rest only the SDK images have.
    match: { include: [`${DOTNET_ROOTS}/{sdk,sdk-manifests,packs,templates,library-packs}/**`] },
    remedy: 'runtime-image',
    advice: 'building in an sdk stage and running on mcr.microsoft.com/dotnet/runtime or aspnet (dotnet publish output only) would drop them',
  },
  {
    id: 'make',
    category: 'build-tool',
    label: "make's files",
    match: { include: ['usr/bin/make', 'usr/bin/gmake', 'usr/bin/make-first-existing-target', 'usr/include/gnumake.h', 'usr/share/doc/make/**'] },
    remedy: 'multi-stage',
    advice: MULTI_STAGE,
  },
  {
    id: 'cmake',
    category: 'build-tool',
    label: "CMake's files",
    match: { include: ['{usr,usr/local}/bin/{cmake,ctest,cpack}', '{usr,usr/local}/share/cmake-*/**'] },
    remedy: 'multi-stage',
    advice: MULTI_STAGE,
  },
  {
    id: 'build-essential',
    category: 'build-tool',
    // Tiny itself: it is the evidence that the step installed gcc, g++, make and libc6-dev.
    label: "build-essential's package files",
    match: { include: ['usr/share/doc/build-essential/**', 'usr/share/build-essential/**', 'var/lib/dpkg/info/build-essential*'] },
    remedy: 'multi-stage',
    advice: `build-essential brings gcc, g++, make and the libc headers; ${MULTI_STAGE}`,
  },
  {
    id: 'node-gyp-headers',
    category: 'headers',
    label: "node-gyp's downloaded Node.js headers",
    match: { include: ['**/.cache/node-gyp/**', '**/.node-gyp/**'] },
    remedy: 'multi-stage',
    advice: 'building native modules in a build stage and copying only node_modules would drop them',
  },
  {
    id: 'python-headers',
    category: 'headers',
    label: 'Python C headers (python3-dev)',
    // Not usr/local/include/python3*: every official python image ships those, so flagging them says nothing actionable.
    match: { include: ['usr/include/python3*/**'] },
    minBytes: HEADERS_MIN_BYTES,
    remedy: 'multi-stage',
    advice: 'building wheels in a build stage and copying only the installed packages would drop them',
  },
  {
    id: 'c-headers',
    category: 'headers',
    label: 'C headers (-dev packages)',
    match: {
      include: ['usr/include/**', 'usr/local/include/**'],
      // Shipped by every official node / python image, slim and alpine included.
      exclude: ['usr/local/include/node/**', 'usr/local/include/python3*/**'],
    },
    minBytes: HEADERS_MIN_BYTES,
    remedy: 'multi-stage',
    advice: MULTI_STAGE,
  },
  {
    id: 'apt-lists',
    category: 'package-index',
    label: 'apt package lists',
    // The lock and partial/ exist in every Debian/Ubuntu image and hold nothing.
    match: { include: ['var/lib/apt/lists/**'], exclude: ['var/lib/apt/lists/lock', 'var/lib/apt/lists/partial/**'] },
    minBytes: CACHE_MIN_BYTES,
    remedy: 'same-step-cleanup',
    advice: '`rm -rf /var/lib/apt/lists/*` at the end of the same RUN step as `apt-get install` would drop them',
  },
  {
    id: 'apt-cache',
    category: 'package-cache',
    label: "apt's downloaded packages and caches",
    match: { include: ['var/cache/apt/archives/**/*.deb', 'var/cache/apt/*.bin'] },
    minBytes: CACHE_MIN_BYTES,
    remedy: 'same-step-cleanup',
    advice: '`apt-get clean` at the end of the same RUN step as `apt-get install` would drop them',
  },
  {
    id: 'apk-cache',
    category: 'package-cache',
    label: "apk's package index and cache",
    match: { include: ['var/cache/apk/**'] },
    minBytes: CACHE_MIN_BYTES,
    remedy: 'same-step-cleanup',
    advice: '`apk add --no-cache` would drop them',
  },
  {
    id: 'rpm-cache',
    category: 'package-cache',
    label: 'yum/dnf/tdnf metadata and package caches',
    match: { include: ['var/cache/{yum,dnf,tdnf}/**'] },
    minBytes: CACHE_MIN_BYTES,
    remedy: 'same-step-cleanup',
    advice: '`dnf clean all` (or `yum clean all`, `tdnf clean all`) at the end of the same RUN step as the install would drop them',
  },
  {
    id: 'npm-cache',
    category: 'package-cache',
    label: 'npm cache files',
    match: { include: ['**/.npm/_cacache/**'] },
    minBytes: CACHE_MIN_BYTES,
    remedy: 'same-step-cleanup',
    advice: '`npm cache clean --force` in the same RUN step as the install (or a BuildKit cache mount) would drop them',
  },
  {
    id: 'yarn-cache',
    category: 'package-cache',
    label: 'yarn cache files',
    match: {
      // yarn 1 as root in the node images, as a user, and yarn berry's global cache. Not a project's .yarn/cache: Plug'n'Play runs from it.
      include: ['usr/local/share/.cache/yarn/**', '**/.cache/yarn/**', '**/.yarn/berry/cache/**'],
    },
    minBytes: CACHE_MIN_BYTES,
    remedy: 'same-step-cleanup',
    advice: '`yarn cache clean` in the same RUN step as the install (or a BuildKit cache mount) would drop them',
  },
  {
    id: 'pnpm-store',
    category: 'package-cache',
    label: 'pnpm store files',
    match: { include: ['**/.local/share/pnpm/store/**', '**/.pnpm-store/**'] },
    minBytes: CACHE_MIN_BYTES,
    remedy: 'multi-stage',
    advice: 'installing in a build stage and copying only node_modules (or a BuildKit cache mount for the store) would drop them',
  },
  {
    id: 'pip-cache',
    category: 'package-cache',
    label: 'pip cache files',
    match: { include: ['**/.cache/pip/**'] },
    minBytes: CACHE_MIN_BYTES,
    remedy: 'same-step-cleanup',
    advice: '`pip install --no-cache-dir` would drop them',
  },
  {
    id: 'maven-repository',
    category: 'package-cache',
    label: 'Maven local repository files (~/.m2)',
    match: { include: ['**/.m2/repository/**'] },
    minBytes: CACHE_MIN_BYTES,
    remedy: 'multi-stage',
    advice: CACHE_MULTI_STAGE,
  },
  {
    id: 'gradle-cache',
    category: 'package-cache',
    label: 'Gradle caches and wrapper distributions',
    match: { include: ['**/.gradle/caches/**', '**/.gradle/wrapper/dists/**'] },
    minBytes: CACHE_MIN_BYTES,
    remedy: 'multi-stage',
    advice: CACHE_MULTI_STAGE,
  },
  {
    id: 'nuget-cache',
    category: 'package-cache',
    label: 'NuGet package cache files',
    match: { include: ['**/.nuget/packages/**', '**/.local/share/NuGet/**'] },
    minBytes: CACHE_MIN_BYTES,
    remedy: 'multi-stage',
    advice: CACHE_MULTI_STAGE,
  },
  {
    id: 'vcs-metadata',
    category: 'vcs',
    // Also a leak: the history may hold secrets the working tree no longer does.
    label: 'version-control metadata (.git, .svn, .hg)',
    match: { include: ['**/.git/**', '**/.svn/**', '**/.hg/**'] },
    remedy: 'dockerignore',
    advice: 'listing `.git` in `.dockerignore` (or `rm -rf .git` in the RUN step that cloned it) would drop them',
  },
];

/** The rules, in claim order; validated when the module loads, so a broken pattern fails every test rather than silently matching nothing. */
export const FINDING_RULES: readonly FindingRule[] = z.array(FindingRuleSchema).parse(RULES);

// ----------------------------------------------------------------- matching

/** `a{b,c}d{e,f}` → abde, abdf, acde, acdf. No nesting: the rules do not need it. */
function expandBraces(glob: string): string[] {
  const open = glob.indexOf('{');
  if (open < 0) return [glob];
  const close = glob.indexOf('}', open);
  if (close < 0 || glob.slice(open + 1, close).includes('{')) throw new SyntaxError(`unbalanced or nested braces in ${glob}`);
  const head = glob.slice(0, open);
  const tails = expandBraces(glob.slice(close + 1));
  return glob
    .slice(open + 1, close)
    .split(',')
    .flatMap((alt) => tails.map((tail) => head + alt + tail));
}

// A declaration, not a const: FINDING_RULES is validated (and so compiled) above, when the module loads.
function escape(s: string): string {
  return s.replace(/[.+^$()|\\{}[\]]/g, '\\$&');
}

function segmentSource(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) throw new SyntaxError(`unterminated character class in ${segment}`);
      const body = segment.slice(i + 1, end);
      out += `[${body.startsWith('!') ? '^' + escape(body.slice(1)) : escape(body)}]`;
      i = end;
    } else out += escape(c);
  }
  return out;
}

function globSource(glob: string): string {
  const segments = glob.split('/');
  return segments
    .map((segment, i) => {
      const last = i === segments.length - 1;
      // `**` in the middle or at the start may stand for no segment at all; at the end it needs something below.
      if (segment === '**') return last ? '.+' : '(?:[^/]+/)*';
      if (segment.includes('**')) throw new SyntaxError(`** must be a whole segment in ${glob}`);
      return segmentSource(segment) + (last ? '' : '/');
    })
    .join('');
}

/** One anchored regex for a glob (its brace alternatives joined). */
export function compileGlob(glob: string): RegExp {
  return new RegExp(`^(?:${expandBraces(glob).map(globSource).join('|')})$`);
}

function globCompiles(glob: string): boolean {
  try {
    compileGlob(glob);
    return true;
  } catch {
    return false;
  }
}

export interface CompiledRule {
  rule: FindingRule;
  /** Whether the rule would claim this path (its `requires` aside). */
  claims(path: string): boolean;
  /** Whether this path is evidence the rule's `requires` asks for; true for every path when it asks for none. */
  satisfies(path: string): boolean;
}

function anyOf(globs: readonly string[] | undefined): RegExp | undefined {
  return globs && globs.length > 0 ? new RegExp(globs.map((g) => compileGlob(g).source).join('|')) : undefined;
}

export function compileRule(rule: FindingRule): CompiledRule {
  const include = anyOf(rule.match.include)!;
  const exclude = anyOf(rule.match.exclude);
  const requires = anyOf(rule.match.requires);
  return {
    rule,
    claims: (path) => include.test(path) && !exclude?.test(path),
    satisfies: (path) => !requires || requires.test(path),
  };
}

const DEFAULT_COMPILED = FINDING_RULES.map(compileRule);

export function compileRules(rules: readonly FindingRule[]): CompiledRule[] {
  return rules === FINDING_RULES ? DEFAULT_COMPILED : rules.map(compileRule);
}

/** The first rule claiming a path, `requires` aside: what the path is, not yet whether the image has the evidence. */
export function ruleFor(path: string, rules: readonly FindingRule[] = FINDING_RULES): FindingRule | undefined {
  return compileRules(rules).find((r) => r.claims(path))?.rule;
}
