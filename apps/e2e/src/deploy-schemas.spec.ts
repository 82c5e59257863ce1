import { existsSync, readFileSync, readdirSync, readFileSync as read } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/**
 * Every rendered overlay (k8s/overlays/*, k8s/observability) validated offline against the
 * Kubernetes OpenAPI schemas (kubernetes-models) and the Prometheus Operator CRDs, plus the
 * invariants of issue 10: the adapter's autoscaler fits the connection budget, the
 * ServiceMonitor scrapes both Services, and every metric an alert or the dashboard uses is
 * one the services export (or is named as pending in docs/metrics.md).
 */

const REPO = path.resolve(__dirname, '../../..');
type Json = Record<string, unknown>;
interface Resource extends Json {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}
interface Kustomization {
  namespace?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
  generatorOptions?: { disableNameSuffixHash?: boolean };
  configMapGenerator?: {
    name: string;
    behavior?: string;
    literals?: string[];
    files?: string[];
    options?: { labels?: Record<string, string> };
  }[];
  patches?: { target?: { kind?: string; name?: string }; patch?: string; path?: string }[];
  labels?: {
    pairs: Record<string, string>;
    includeSelectors?: boolean;
    includeTemplates?: boolean;
  }[];
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

/**
 * Renders a kustomization the way `kubectl kustomize` does for the features our files use
 * (resources: files and directories; namespace; images; labels on metadata; configMapGenerator with
 * `behavior: merge`, literals and files; JSON 6902 patches with add/replace/remove). Any
 * other feature throws, so that a new one cannot pass unchecked. Name hashes are left out.
 */
function render(dir: string): Resource[] {
  const k = parse(read(path.join(REPO, dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const known = [
    'apiVersion',
    'kind',
    'namespace',
    'resources',
    'images',
    'generatorOptions',
    'configMapGenerator',
    'patches',
    'labels',
  ];
  for (const key of Object.keys(k)) {
    if (!known.includes(key)) throw new Error(`${dir}: kustomize feature "${key}" not rendered`);
  }
  let out: Resource[] = [];
  for (const entry of k.resources ?? []) {
    const full = path.join(dir, entry);
    if (entry.endsWith('.yaml')) {
      out.push(
        ...parseAllDocuments(read(path.join(REPO, full), 'utf8')).map(
          (doc) => doc.toJSON() as Resource,
        ),
      );
    } else {
      out.push(...render(full));
    }
  }
  for (const generator of k.configMapGenerator ?? []) {
    const data: Record<string, string> = {};
    for (const literal of generator.literals ?? []) {
      const at = literal.indexOf('=');
      data[literal.slice(0, at)] = literal.slice(at + 1);
    }
    for (const file of generator.files ?? []) {
      const [key, source] = file.includes('=') ? file.split('=') : [path.basename(file), file];
      data[key] = read(path.join(REPO, dir, source), 'utf8');
    }
    if (generator.behavior === 'merge') {
      const base = out.find((r) => r.kind === 'ConfigMap' && r.metadata.name === generator.name);
      if (base === undefined) throw new Error(`${dir}: nothing to merge into ${generator.name}`);
      base.data = { ...(base.data as Json), ...data };
    } else {
      out.push({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: generator.name, labels: generator.options?.labels },
        data,
      });
    }
  }
  for (const patch of k.patches ?? []) {
    if (patch.patch === undefined || patch.path !== undefined) {
      throw new Error(`${dir}: only inline JSON 6902 patches are rendered`);
    }
    const ops = parse(patch.patch) as { op: string; path: string; value?: unknown }[];
    if (!Array.isArray(ops)) throw new Error(`${dir}: strategic merge patches are not rendered`);
    const targets = out.filter(
      (r) =>
        (patch.target?.kind === undefined || r.kind === patch.target.kind) &&
        (patch.target?.name === undefined || r.metadata.name === patch.target.name),
    );
    if (targets.length === 0) throw new Error(`${dir}: a patch matches no resource`);
    for (const target of targets) for (const op of ops) applyOp(target, op);
  }
  for (const label of k.labels ?? []) {
    if (label.includeSelectors || label.includeTemplates) {
      throw new Error(`${dir}: labels on selectors or templates are not rendered`);
    }
    for (const resource of out) {
      resource.metadata = {
        ...resource.metadata,
        labels: { ...resource.metadata.labels, ...label.pairs },
      };
    }
  }
  for (const image of k.images ?? []) {
    for (const resource of out) {
      const containers = ((resource.spec as Json)?.template as Json)?.spec as
        | { containers?: { image: string }[] }
        | undefined;
      for (const c of containers?.containers ?? []) {
        const [name, tag] = c.image.split(':');
        if (name === image.name) {
          c.image = `${image.newName ?? name}:${image.newTag ?? tag ?? 'latest'}`;
        }
      }
    }
  }
  if (k.namespace !== undefined) {
    out = out.map((r) =>
      CLUSTER_SCOPED.has(r.kind)
        ? r
        : { ...r, metadata: { ...r.metadata, namespace: k.namespace } },
    );
  }
  return out;
}

function applyOp(target: Json, op: { op: string; path: string; value?: unknown }): void {
  const keys = op.path
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = keys.pop() as string;
  let node: Json = target;
  for (const key of keys) {
    if (node[key] === undefined) throw new Error(`patch path ${op.path} does not exist`);
    node = node[key] as Json;
  }
  if (op.op === 'remove') {
    delete node[last];
  } else if (op.op === 'replace' || op.op === 'add') {
    if (op.op === 'replace' && node[last] === undefined) {
      throw new Error(`replace of missing ${op.path}`);
    }
    if (Array.isArray(node) && last === '-') node.push(op.value);
    else node[last] = op.value;
  } else {
    throw new Error(`patch op ${op.op} not rendered`);
  }
}

/** The schema class of a resource: kubernetes-models for the API, the CRD models for monitoring. */
function modelOf(resource: Resource): new (data: unknown) => { validate(): void } {
  const module =
    resource.apiVersion === 'monitoring.coreos.com/v1'
      ? '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'
      : `kubernetes-models/${resource.apiVersion}`;
  const model = require(module)[resource.kind];
  if (model === undefined) throw new Error(`no schema for ${resource.apiVersion} ${resource.kind}`);
  return model;
}

function schemaErrors(resources: Resource[]): string[] {
  const errors: string[] = [];
  for (const resource of resources) {
    try {
      const Model = modelOf(resource);
      new Model(resource).validate();
    } catch (err) {
      errors.push(`${resource.kind}/${resource.metadata?.name}: ${(err as Error).message}`);
    }
  }
  return errors;
}

const RENDERED_DIRS = [
  ...readdirSync(path.join(REPO, 'k8s/overlays')).map((d) => `k8s/overlays/${d}`),
  'k8s/observability',
];

describe('rendered Kubernetes manifests', () => {
  it.each(RENDERED_DIRS)('%s renders and every resource is valid against its schema', (dir) => {
    const resources = render(dir);
    expect(resources.length).toBeGreaterThan(0);
    expect(schemaErrors(resources)).toEqual([]);
  });

  it('the validator refuses what the API server would (the check can fail)', () => {
    const broken: Resource[] = [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'x' },
        spec: {
          selector: {},
          template: {
            spec: { containers: [{ name: 'a', image: 'i', imagePullPolicy: 'Sometimes' }] },
          },
        },
      },
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'x' },
        spec: { maxReplicas: 5 },
      },
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: { name: 'x' },
        spec: { groups: [{ name: 'g', rules: [{ alert: 'NoExpression' }] }] },
      },
      { apiVersion: 'example.org/v1', kind: 'Unknown', metadata: { name: 'x' } },
    ];
    expect(schemaErrors(broken)).toHaveLength(4);
  });
});

describe('autoscaling and the connection budget', () => {
  const resources = render('k8s/overlays/example');
  const find = (kind: string, name: string) =>
    resources.find((r) => r.kind === kind && r.metadata.name === name) as Json & Resource;

  it('scales the adapter Deployment from at least 2 replicas, and the budget fits a default PostgreSQL', () => {
    const hpa = find('HorizontalPodAutoscaler', 'pager-adapter');
    const spec = hpa.spec as {
      scaleTargetRef: { kind: string; name: string };
      minReplicas: number;
      maxReplicas: number;
    };
    expect(spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'pager-adapter' });
    const adapter = find('Deployment', 'pager-adapter').spec as { replicas: number };
    const discovery = find('Deployment', 'pager-discovery').spec as { replicas: number };
    expect(spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(adapter.replicas).toBe(spec.minReplicas);
    const config = find('ConfigMap', 'pager-config').data as Record<string, string>;
    const pool = Number(config.DATABASE_POOL_MAX);
    expect(pool).toBeGreaterThan(0);
    // docs/operations.md: (daemons + adapters at most + 1 surge pod each) × pool ≤ 100 − 3.
    expect((discovery.replicas + spec.maxReplicas + 2) * pool).toBeLessThanOrEqual(97);
  });
});

// --- metric names ------------------------------------------------------------------------------

/** Metric names the code registers (`name: '...'` next to a prom-client constructor). */
function exportedMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !/spec\.ts$/.test(entry.name)) {
        const text = readFileSync(full, 'utf8');
        if (!/new (Counter|Gauge|Histogram|Summary)\b/.test(text)) continue;
        for (const m of text.matchAll(/name: '([a-z_][a-z0-9_]*)'/g)) names.add(m[1]);
      }
    }
  };
  for (const root of ['apps/discovery/src', 'apps/adapter/src', 'libs/server-kit/src']) {
    walk(path.join(REPO, root));
  }
  return names;
}

/** prom-client's default metrics we use, and Prometheus' own `up`. */
const STANDARD = new Set([
  'up',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_p99_seconds',
]);

/** Named in docs/metrics.md as exported by the destination-state work, not yet by this code. */
function pendingMetrics(): Set<string> {
  const doc = readFileSync(path.join(REPO, 'docs/metrics.md'), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('Pending')) ?? '';
  return new Set([...section.matchAll(/`([a-z_][a-z0-9_]*)`/g)].map((m) => m[1]));
}

function metricsIn(expr: string): string[] {
  return [
    ...expr.matchAll(
      /\b((?:adapter|discovery|pager|process|nodejs)_[a-z0-9_]+|up)\b(?=\s*[{[)]|\s*$|\s*[<>=!])/g,
    ),
  ].map((m) => m[1]);
}

describe('alerts and dashboard', () => {
  const observability = render('k8s/observability');
  const rule = observability.find((r) => r.kind === 'PrometheusRule') as Resource & {
    spec: { groups: { rules: { alert: string; expr: string }[] }[] };
  };
  const alerts = rule.spec.groups.flatMap((g) => g.rules);
  const known = new Set([...exportedMetrics(), ...STANDARD, ...pendingMetrics()]);

  it('has the alerts issue 10 asks for', () => {
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining([
        'PagerDestinationUnreachable',
        'PagerPagesFailing',
        'PagerOutboxOld',
        'PagerGossipFailing',
        'PagerKeyConflict',
        'PagerDatabaseErrors',
        'PagerDatabaseUnavailable',
      ]),
    );
  });

  it('uses only metrics the services export (or docs/metrics.md names as pending)', () => {
    const used = alerts.flatMap((a) => metricsIn(a.expr));
    expect(used.length).toBeGreaterThan(8);
    expect(used.filter((m) => !known.has(m))).toEqual([]);
  });

  it('documents every alert in docs/metrics.md', () => {
    const doc = readFileSync(path.join(REPO, 'docs/metrics.md'), 'utf8');
    expect(alerts.map((a) => a.alert).filter((a) => !doc.includes(`### ${a}`))).toEqual([]);
  });

  it('documents every exported metric in docs/metrics.md', () => {
    const doc = readFileSync(path.join(REPO, 'docs/metrics.md'), 'utf8');
    expect([...exportedMetrics()].filter((m) => !doc.includes(`\`${m}\``))).toEqual([]);
  });

  it('the Grafana dashboard is valid JSON and plots only known metrics', () => {
    const file = path.join(REPO, 'k8s/observability/grafana-dashboard.json');
    expect(existsSync(file)).toBe(true);
    const dashboard = JSON.parse(readFileSync(file, 'utf8')) as {
      uid: string;
      panels: { title: string; targets: { expr: string }[] }[];
    };
    expect(dashboard.uid).toBe('pager-federation');
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricsIn(t.expr)));
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((m) => !known.has(m))).toEqual([]);
  });

  it('the ServiceMonitor scrapes /metrics on the named port of both Services', () => {
    const base = render('k8s/overlays/example');
    const monitor = observability.find((r) => r.kind === 'ServiceMonitor') as Resource & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; path: string }[];
      };
    };
    const services = base.filter((r) => r.kind === 'Service');
    const selected = services.filter((s) =>
      Object.entries(monitor.spec.selector.matchLabels).every(
        ([k, v]) => s.metadata.labels?.[k] === v,
      ),
    );
    expect(selected.map((s) => s.metadata.name).sort()).toEqual([
      'pager-adapter',
      'pager-discovery',
    ]);
    for (const service of selected) {
      const ports = (service.spec as { ports: { name: string }[] }).ports.map((p) => p.name);
      expect(ports).toContain(monitor.spec.endpoints[0].port);
    }
    expect(monitor.spec.endpoints[0].path).toBe('/metrics');
  });
});
