import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
// `yaml` comes with the toolchain (nx, cosmiconfig); parse and parseAllDocuments have the
// same shape in its versions 1 and 2, so this spec adds no dependency.
import { parse, parseAllDocuments } from 'yaml';

/**
 * The deployment files (docker/, k8s/, .env.example) read as a specification: they build
 * what `npm run build` produces, run them as docs/operations.md says, and use only the variables
 * the README documents. Plain file parsing, no Docker engine and no cluster.
 */

const REPO = path.resolve(__dirname, '../../..');
const APPS = [
  { app: 'discovery', port: 4100, portVariable: 'DISCOVERY_PORT', schema: 'discovery' },
  { app: 'adapter', port: 4200, portVariable: 'ADAPTER_PORT', schema: 'adapter' },
] as const;
/** Set in the image for Node and its libraries; the services do not read it. */
const NODE_RUNTIME_VARIABLES = new Set(['NODE_ENV']);

function readRepoFile(relative: string): string {
  return readFileSync(path.join(REPO, relative), 'utf8');
}

// --- README configuration table and .env.example ------------------------------------------------------------

/** Every `NAME` in the rows of the README's configuration table (`*_FILE` forms included). */
function documentedVariables(): Set<string> {
  const text = readRepoFile('README.md');
  const section = text.split(/^## /m).find((part) => part.startsWith('Configuration'));
  if (section === undefined) throw new Error('README.md has no "## Configuration" section');
  const names = new Set<string>();
  for (const row of section.split('\n').filter((line) => line.startsWith('|'))) {
    for (const match of row.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(match[1]);
  }
  return names;
}

/** Variables `.env.example` documents, as `NAME=value` or commented `# NAME=value`. */
function envExampleVariables(): Set<string> {
  const names = new Set<string>();
  for (const line of readRepoFile('.env.example').split('\n')) {
    const match = /^#?\s*([A-Z][A-Z0-9_]*)=/.exec(line);
    if (match) names.add(match[1]);
  }
  return names;
}

// --- Dockerfile --------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  name: string;
  /** The image or the earlier stage this one starts from. */
  base: string;
  instructions: Instruction[];
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined. */
function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    const full = pending + line;
    pending = '';
    const match = /^([A-Za-z]+)\s+([\s\S]*)$/.exec(full);
    if (!match) throw new Error(`cannot parse Dockerfile line: ${full}`);
    instructions.push({ keyword: match[1].toUpperCase(), args: match[2].trim() });
  }
  return instructions;
}

function parseStages(text: string): { args: Map<string, string>; stages: Stage[] } {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`cannot parse FROM ${instruction.args}`);
      const base = match[1].replace(/\$\{?(\w+)\}?/g, (_, name: string) => args.get(name) ?? '');
      stages.push({ name: match[2] ?? `stage-${stages.length}`, base, instructions: [] });
    } else if (stages.length === 0) {
      // Global ARGs before the first FROM give the defaults FROM lines can use.
      const match = /^ARG\s+(\w+)=(\S+)$/.exec(`${instruction.keyword} ${instruction.args}`);
      if (match) args.set(match[1], match[2]);
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { args, stages };
}

/** A target and every stage it is built on, target first. */
function stageChain(stages: Stage[], target: string): Stage[] {
  const chain: Stage[] = [];
  let current = stages.find((stage) => stage.name === target);
  while (current !== undefined) {
    chain.push(current);
    const base = current.base;
    current = stages.find((stage) => stage.name === base);
  }
  return chain;
}

/** `ENV A=1 B=2` (and the legacy `ENV A 1`) as name/value pairs. */
function envPairs(args: string): [string, string][] {
  const legacy = /^(\w+)\s+([^=]*)$/.exec(args);
  if (legacy) return [[legacy[1], legacy[2].trim()]];
  return [...args.matchAll(/(\w+)=("[^"]*"|\S*)/g)].map((m) => [m[1], m[2].replace(/^"|"$/g, '')]);
}

function chainInstructions(chain: Stage[], keyword: string): Instruction[] {
  // Later stages override earlier ones: walk from the base towards the target.
  return [...chain]
    .reverse()
    .flatMap((stage) => stage.instructions)
    .filter((instruction) => instruction.keyword === keyword);
}

// --- Kubernetes --------------------------------------------------------------------------------

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}
interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
}
interface Volume {
  name: string;
  secret?: { secretName: string; defaultMode?: number; items?: { key: string; path: string }[] };
  emptyDir?: Record<string, unknown>;
}
interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  securityContext?: SecurityContext;
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
}
type LabelSelector = { matchLabels?: Record<string, string> };
interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: unknown;
}
interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    replicas?: number;
    selector?: LabelSelector & Record<string, string>;
    template?: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    type?: string;
    ports?: { name?: string; port: number; targetPort?: string | number }[];
    tls?: { hosts: string[]; secretName: string }[];
    rules?: {
      host?: string;
      http: { paths: { path: string; pathType: string; backend: { service: { name: string } } }[] };
    }[];
    podSelector?: LabelSelector;
    policyTypes?: string[];
    ingress?: { from?: NetworkPolicyPeer[]; ports?: { port: number | string }[] }[];
    minAvailable?: number | string;
  };
}
interface Kustomization {
  namespace?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
  configMapGenerator?: { name: string; behavior?: string; literals?: string[] }[];
  patches?: { target?: { kind?: string; name?: string }; patch?: string }[];
}

function readKustomization(dir: string): Kustomization {
  return parse(readRepoFile(path.join(dir, 'kustomization.yaml'))) as Kustomization;
}

/** The resources a kustomization lists that are files of its own directory. */
function loadResources(dir: string): Resource[] {
  return (readKustomization(dir).resources ?? [])
    .filter((entry) => entry.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readRepoFile(path.join(dir, file))).map((doc) => doc.toJSON() as Resource),
    );
}

function literalsOf(kustomization: Kustomization, name: string): Map<string, string> {
  const literals = new Map<string, string>();
  for (const generator of kustomization.configMapGenerator ?? []) {
    if (generator.name !== name) continue;
    for (const literal of generator.literals ?? []) {
      const at = literal.indexOf('=');
      literals.set(literal.slice(0, at), literal.slice(at + 1));
    }
  }
  return literals;
}

const BASE = 'k8s/base';
const OVERLAY = 'k8s/overlays/example';

function deploymentOf(resources: Resource[], app: string): Resource {
  const found = resources.find(
    (r) => r.kind === 'Deployment' && r.metadata.name === `pager-${app}`,
  );
  if (found === undefined) throw new Error(`k8s/base has no Deployment pager-${app}`);
  return found;
}

function podSpecOf(deployment: Resource): PodSpec {
  return deployment.spec.template!.spec;
}

function envOf(container: Container): Map<string, EnvVar> {
  return new Map((container.env ?? []).map((variable) => [variable.name, variable]));
}

function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  const wanted = Object.entries(selector?.matchLabels ?? {});
  return wanted.length > 0 && wanted.every(([key, value]) => labels[key] === value);
}

// ===============================================================================================

describe('docker/Dockerfile', () => {
  const { stages } = parseStages(readRepoFile('docker/Dockerfile'));
  const builder = stages.find((stage) =>
    stage.instructions.some((i) => /npm run build/.test(i.args)),
  );

  it('builds in a node:22-bookworm-slim stage of its own with npm ci and npm run build', () => {
    expect(builder).toBeDefined();
    expect(builder!.base).toBe('node:22-bookworm-slim');
    const runs = builder!.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((run) => /\bnpm ci\b/.test(run) && !/--omit=dev/.test(run))).toBe(true);
  });

  it('starts every stage from node:22-bookworm-slim or from an earlier stage', () => {
    for (const stage of stages) {
      const fromStage = stages.some((other) => other.name === stage.base);
      expect(fromStage || stage.base === 'node:22-bookworm-slim').toBe(true);
    }
  });

  it.each(APPS)('has a final target "$app"', ({ app }) => {
    expect(stages.map((stage) => stage.name)).toContain(app);
    expect(stageChain(stages, app)).not.toContain(builder);
  });

  it.each(APPS)(
    'gives the $app target only production dependencies (npm ci --omit=dev)',
    ({ app }) => {
      const copies = chainInstructions(stageChain(stages, app), 'COPY');
      const modules = copies.find((copy) => /\/node_modules\s/.test(copy.args));
      expect(modules).toBeDefined();
      const source = /--from=(\S+)/.exec(modules!.args)?.[1];
      const depsStage = stages.find((stage) => stage.name === source);
      expect(depsStage).toBeDefined();
      const install = depsStage!.instructions.find(
        (i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args),
      );
      expect(install?.args).toMatch(/--omit=dev/);
      expect(install?.args).toMatch(/--ignore-scripts/);
    },
  );

  it.each(APPS)('runs the $app target as a numeric non-root user', ({ app }) => {
    const users = chainInstructions(stageChain(stages, app), 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users[users.length - 1].args;
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    expect(user.split(':').every((id) => Number(id) !== 0)).toBe(true);
  });

  it.each(APPS)(
    'runs dist/apps/$app/main.js, the bundle tools/webpack.config.js writes',
    ({ app }) => {
      const webpackConfig = require(path.join(REPO, 'tools/webpack.config.js')) as (env: {
        app: string;
      }) => { output: { path: string; filename: string } };
      const { output } = webpackConfig({ app });
      const bundle = path
        .relative(REPO, path.join(output.path, output.filename))
        .split(path.sep)
        .join('/');
      expect(bundle).toBe(`dist/apps/${app}/main.js`);

      const chain = stageChain(stages, app);
      const cmds = chainInstructions(chain, 'CMD');
      expect(JSON.parse(cmds[cmds.length - 1].args)).toEqual(['node', bundle]);
      const workdirs = chainInstructions(chain, 'WORKDIR');
      const workdir = workdirs[workdirs.length - 1].args;
      const copied = chainInstructions(chain, 'COPY').find((copy) =>
        copy.args.includes(`dist/apps/${app}`),
      );
      expect(copied?.args).toMatch(new RegExp(`--from=${builder!.name}\\b`));
      expect(copied?.args.split(/\s+/).pop()).toMatch(
        new RegExp(`^(\\./|${workdir}/)?dist/apps/${app}/?$`),
      );
    },
  );

  it.each(APPS)(
    'exposes $port and checks /health/live with node (no curl in slim images)',
    ({ app, port }) => {
      const chain = stageChain(stages, app);
      expect(chainInstructions(chain, 'EXPOSE').map((i) => i.args)).toContain(String(port));
      const healthchecks = chainInstructions(chain, 'HEALTHCHECK');
      expect(healthchecks.length).toBeGreaterThan(0);
      const check = healthchecks[healthchecks.length - 1].args;
      expect(check).toMatch(/CMD \["node",/);
      expect(check).toContain('/health/live');
      expect(check).toContain(String(port));
    },
  );

  it.each(APPS)('sets in the $app image only variables the README documents', ({ app }) => {
    const documented = documentedVariables();
    const env = new Map(
      chainInstructions(stageChain(stages, app), 'ENV').flatMap((i) => envPairs(i.args)),
    );
    for (const name of env.keys()) {
      expect({
        name,
        documented: documented.has(name) || NODE_RUNTIME_VARIABLES.has(name),
      }).toEqual({
        name,
        documented: true,
      });
    }
    expect(env.get('NODE_ENV')).toBe('production');
    expect(env.get('BIND_ADDRESS')).toBe('0.0.0.0');
    expect(env.get('DATA_DIR')).toBe('/var/lib/pager');
  });

  it('keeps dependencies, build output, data and git out of the build context', () => {
    const ignored = readRepoFile('docker/Dockerfile.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const pattern of [/^(\*\*\/)?node_modules$/, /^dist$/, /^(\*\*\/)?\.data$/, /^\.git$/]) {
      expect({
        pattern: String(pattern),
        ignored: ignored.some((line) => pattern.test(line)),
      }).toEqual({
        pattern: String(pattern),
        ignored: true,
      });
    }
  });
});

describe('docker/compose.yaml', () => {
  interface ComposeService {
    image?: string;
    build?: { context: string; dockerfile: string; target: string };
    environment?: Record<string, string>;
  }
  const compose = parse(readRepoFile('docker/compose.yaml'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const pagerServices = Object.entries(compose.services).filter(
    ([, service]) => service.build !== undefined,
  );

  it('builds both targets of docker/Dockerfile for two servers', () => {
    const { stages } = parseStages(readRepoFile('docker/Dockerfile'));
    expect(pagerServices.map(([name]) => name).sort()).toEqual(
      ['a-adapter', 'a-discovery', 'b-adapter', 'b-discovery'].sort(),
    );
    for (const [, service] of pagerServices) {
      expect(
        existsSync(path.resolve(REPO, 'docker', service.build!.context, service.build!.dockerfile)),
      ).toBe(true);
      expect(stages.map((stage) => stage.name)).toContain(service.build!.target);
    }
  });

  it('uses only documented variables and lets server-b bootstrap from server-a', () => {
    const documented = documentedVariables();
    for (const [, service] of pagerServices) {
      for (const name of Object.keys(service.environment ?? {}))
        expect([name, documented.has(name)]).toEqual([name, true]);
      expect(service.environment?.['ALLOW_PRIVATE_ENDPOINTS']).toBe('true');
    }
    expect(compose.services['b-discovery'].environment?.['BOOTSTRAP_SERVERS']).toBe(
      compose.services['a-discovery'].environment?.['DISCOVERY_PUBLIC_URL'],
    );
  });
});

describe('k8s/base', () => {
  const resources = loadResources(BASE);
  const kustomization = readKustomization(BASE);
  const config = literalsOf(kustomization, 'pager-config');

  it('lists every manifest of the directory in its kustomization', () => {
    const files = readdirSync(path.join(REPO, BASE)).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
    );
    expect([...(kustomization.resources ?? [])].sort()).toEqual(files.sort());
    expect(kustomization.namespace).toBeUndefined();
  });

  it.each(APPS)(
    'runs two replicas of $app with readiness on /health/ready and liveness on /health/live',
    ({ app }) => {
      const deployment = deploymentOf(resources, app);
      expect(deployment.spec.replicas).toBe(2);
      const [container] = podSpecOf(deployment).containers;
      expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
      expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
      expect(container.resources?.requests?.['memory']).toBeDefined();
      expect(container.resources?.limits?.['memory']).toBeDefined();
    },
  );

  it.each(APPS)('listens on $port in the $app pod', ({ app, port, portVariable }) => {
    const [container] = podSpecOf(deploymentOf(resources, app)).containers;
    expect(container.ports?.map((p) => p.containerPort)).toEqual([port]);
    expect(envOf(container).get(portVariable)?.value ?? String(port)).toBe(String(port));
    expect(config.get('BIND_ADDRESS')).toBe('0.0.0.0');
  });

  it.each(APPS)(
    'runs $app as the image user, non-root, read-only, without capabilities',
    ({ app }) => {
      const pod = podSpecOf(deploymentOf(resources, app));
      const { stages } = parseStages(readRepoFile('docker/Dockerfile'));
      const users = chainInstructions(stageChain(stages, app), 'USER');
      const imageUid = Number(users[users.length - 1].args.split(':')[0]);

      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.securityContext?.runAsUser).toBe(imageUid);
      expect(pod.securityContext?.fsGroup).toBe(imageUid);
      expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken).toBe(false);
      const [container] = pod.containers;
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(container.securityContext?.capabilities?.add).toBeUndefined();
      const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
      expect(pod.volumes?.find((volume) => volume.name === tmp?.name)?.emptyDir).toBeDefined();
    },
  );

  it.each(APPS)(
    'gives $app time to stop: preStop pause plus the 10 s stop bound within the grace period',
    ({ app }) => {
      const pod = podSpecOf(deploymentOf(resources, app));
      expect(pod.terminationGracePeriodSeconds).toBe(15);
      const preStop = pod.containers[0].lifecycle?.preStop?.exec?.command ?? ['sleep', '0'];
      expect(preStop[0]).toBe('sleep');
      expect(Number(preStop[1]) + 10).toBeLessThan(pod.terminationGracePeriodSeconds!);
    },
  );

  it.each(APPS)(
    'reads the key, database URL and token of $app from Secret files, never from values',
    ({ app }) => {
      const pod = podSpecOf(deploymentOf(resources, app));
      const [container] = pod.containers;
      const env = envOf(container);
      const volume = pod.volumes?.find((v) => v.secret?.secretName === 'pager-secrets');
      expect(volume).toBeDefined();
      const mount = container.volumeMounts?.find((m) => m.name === volume!.name);
      expect(mount?.readOnly).toBe(true);
      const fileOf = (key: string) => {
        const item = volume!.secret!.items?.find((i) => i.key === key);
        return item === undefined ? undefined : `${mount!.mountPath}/${item.path}`;
      };
      expect(env.get('PRIVATE_KEY_PATH')?.value).toBe(fileOf('server-key.pem'));
      expect(env.get('DATABASE_URL_FILE')?.value).toBe(fileOf('database-url'));
      expect(env.get('INTERNAL_API_TOKEN_FILE')?.value).toBe(fileOf('internal-api-token'));
      expect(fileOf('server-key.pem')).toBe('/var/run/secrets/pager/server-key.pem');
      // A secret value in the environment would leak into `kubectl describe` and crash dumps.
      expect(env.has('DATABASE_URL')).toBe(false);
      expect(env.has('INTERNAL_API_TOKEN')).toBe(false);
      expect((container.env ?? []).filter((v) => v.valueFrom !== undefined)).toEqual([]);
      expect((container.envFrom ?? []).filter((source) => source.secretRef !== undefined)).toEqual(
        [],
      );
      expect([...config.keys()].filter((name) => /DATABASE_URL|TOKEN|KEY/.test(name))).toEqual([]);
      // Secret files are 0440 and group-owned by fsGroup: readable by the service, by nobody else.
      expect(volume!.secret!.defaultMode).toBe(0o440);
    },
  );

  it.each(APPS)('gives $app its own schema and the shared pager-config', ({ app, schema }) => {
    const [container] = podSpecOf(deploymentOf(resources, app)).containers;
    expect(envOf(container).get('DATABASE_SCHEMA')?.value).toBe(schema);
    expect(container.envFrom?.map((source) => source.configMapRef?.name)).toEqual(['pager-config']);
  });

  it('points the adapter at the discovery Service for the internal API', () => {
    const [container] = podSpecOf(deploymentOf(resources, 'adapter')).containers;
    const service = resources.find(
      (r) => r.kind === 'Service' && r.metadata.name === 'pager-discovery',
    );
    const url = new URL(envOf(container).get('DISCOVERY_INTERNAL_URL')?.value ?? '');
    expect(url.hostname).toBe(service?.metadata.name);
    expect(Number(url.port)).toBe(service?.spec.ports?.[0].port);
  });

  it.each(APPS)(
    'has a ClusterIP Service and a PodDisruptionBudget selecting the $app pods',
    ({ app, port }) => {
      const podLabels = deploymentOf(resources, app).spec.template!.metadata.labels;
      const service = resources.find(
        (r) => r.kind === 'Service' && r.metadata.name === `pager-${app}`,
      );
      expect(service?.spec.type).toBe('ClusterIP');
      expect(selects({ matchLabels: service?.spec.selector }, podLabels)).toBe(true);
      expect(service?.spec.ports?.[0].port).toBe(port);
      const budget = resources.find(
        (r) => r.kind === 'PodDisruptionBudget' && selects(r.spec.selector, podLabels),
      );
      expect(budget?.spec.minAvailable).toBe(1);
    },
  );

  it('exposes only /discovery and /federation through the Ingress, with TLS', () => {
    const ingresses = resources.filter((r) => r.kind === 'Ingress');
    expect(ingresses).toHaveLength(1);
    const [ingress] = ingresses;
    const routes = (ingress.spec.rules ?? []).flatMap((rule) =>
      rule.http.paths.map((p) => [p.path, p.pathType, p.backend.service.name]),
    );
    expect(routes.sort()).toEqual([
      ['/discovery', 'Prefix', 'pager-discovery'],
      ['/federation', 'Prefix', 'pager-adapter'],
    ]);
    const hosts = (ingress.spec.rules ?? []).map((rule) => rule.host);
    expect(
      hosts.every(
        (host) => host !== undefined && ingress.spec.tls?.some((t) => t.hosts.includes(host)),
      ),
    ).toBe(true);
  });

  it.each(APPS)(
    'lets only pods of this app and the ingress controller reach the $app port',
    ({ app, port }) => {
      const podLabels = deploymentOf(resources, app).spec.template!.metadata.labels;
      const policies = resources.filter(
        (r) => r.kind === 'NetworkPolicy' && selects(r.spec.podSelector, podLabels),
      );
      expect(policies.length).toBeGreaterThan(0);
      for (const policy of policies) {
        expect(policy.spec.policyTypes).toContain('Ingress');
        for (const rule of policy.spec.ingress ?? []) {
          // A rule without `from` (or without `ports`) would open the internal API to the cluster.
          expect(rule.from?.length).toBeGreaterThan(0);
          expect(rule.ports?.map((p) => Number(p.port))).toEqual([port]);
          for (const peer of rule.from ?? []) {
            expect(peer.ipBlock).toBeUndefined();
            const ownPods =
              peer.namespaceSelector === undefined &&
              peer.podSelector?.matchLabels?.['app.kubernetes.io/part-of'] === 'pager-federation';
            const ingressController =
              peer.namespaceSelector?.matchLabels !== undefined &&
              Object.keys(peer.namespaceSelector.matchLabels).length > 0;
            expect(ownPods || ingressController).toBe(true);
          }
        }
      }
      expect(podLabels['app.kubernetes.io/part-of']).toBe('pager-federation');
    },
  );
});

describe('k8s/overlays/example', () => {
  const overlay = readKustomization(OVERLAY);

  it('sets the namespace, both images and APP_URL on top of the base', () => {
    expect(overlay.namespace).toMatch(/^[a-z0-9-]+$/);
    expect(overlay.resources).toContain('../../base');
    expect(overlay.images?.map((image) => image.name).sort()).toEqual([
      'pager-adapter',
      'pager-discovery',
    ]);
    for (const image of overlay.images ?? []) expect(image.newTag).toBeDefined();
    const generator = overlay.configMapGenerator?.find((g) => g.name === 'pager-config');
    expect(generator?.behavior).toBe('merge');
    expect(new URL(literalsOf(overlay, 'pager-config').get('APP_URL') ?? '').protocol).toBe(
      'https:',
    );
  });

  it("routes the Ingress host of APP_URL's host", () => {
    const appHost = new URL(literalsOf(overlay, 'pager-config').get('APP_URL') ?? '').hostname;
    const patch = overlay.patches?.find((p) => p.target?.kind === 'Ingress');
    const operations = parse(patch?.patch ?? '[]') as { path: string; value: unknown }[];
    expect(operations.find((op) => op.path === '/spec/rules/0/host')?.value).toBe(appHost);
    expect(operations.find((op) => op.path === '/spec/tls/0/hosts/0')?.value).toBe(appHost);
  });
});

describe('configuration variables', () => {
  it('.env.example documents every variable of the README and ANNOUNCEMENT_REFRESH_MS', () => {
    const example = envExampleVariables();
    const missing = [...documentedVariables(), 'ANNOUNCEMENT_REFRESH_MS'].filter(
      (name) => !example.has(name),
    );
    expect(missing).toEqual([]);
  });

  it('the manifests use only variables the README or .env.example documents', () => {
    const known = new Set([...documentedVariables(), ...envExampleVariables()]);
    const used = new Set<string>();
    for (const resource of loadResources(BASE).filter((r) => r.kind === 'Deployment')) {
      for (const container of podSpecOf(resource).containers) {
        for (const variable of container.env ?? []) used.add(variable.name);
      }
    }
    for (const dir of [BASE, OVERLAY]) {
      for (const name of literalsOf(readKustomization(dir), 'pager-config').keys()) used.add(name);
    }
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
  });
});
