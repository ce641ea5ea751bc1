// Validates rendered Kubernetes manifests against the Kubernetes OpenAPI
// JSON schemas (npm kubernetes-models) and the project's pod policy:
// probes, resources, non-root, read-only root file system, no privilege
// escalation, secrets only by reference.
import fs from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const YAML = require("yaml");

const models = {
  "v1/ServiceAccount": "kubernetes-models/v1/ServiceAccount",
  "v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
  "v1/Secret": "kubernetes-models/v1/Secret",
  "v1/Service": "kubernetes-models/v1/Service",
  "apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment",
  "batch/v1/Job": "kubernetes-models/batch/v1/Job",
  "policy/v1/PodDisruptionBudget": "kubernetes-models/policy/v1/PodDisruptionBudget",
  "networking.k8s.io/v1/NetworkPolicy": "kubernetes-models/networking.k8s.io/v1/NetworkPolicy",
};

const problems = [];
const kinds = new Set();
for (const file of process.argv.slice(2)) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  for (const doc of docs) {
    if (doc.errors.length) { problems.push(`${file}: ${doc.errors[0].message}`); continue; }
    const obj = doc.toJSON();
    if (!obj) continue;
    const id = `${obj.apiVersion}/${obj.kind}`;
    const name = `${obj.kind}/${obj.metadata?.name}`;
    kinds.add(obj.kind);
    const mod = models[id];
    if (!mod) { problems.push(`${name}: no schema known for ${id}`); continue; }
    const loaded = await import(mod);
    const Cls = loaded[obj.kind] || loaded.default;
    try { new Cls(obj).validate(); } catch (e) { problems.push(`${name}: ${e.message}`); }
    const pod = obj.kind === "Deployment" || obj.kind === "Job" ? obj.spec.template.spec : null;
    if (!pod) continue;
    if (!pod.securityContext?.runAsNonRoot) problems.push(`${name}: pod must set runAsNonRoot`);
    for (const c of pod.containers) {
      const sc = c.securityContext || {};
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${name}/${c.name}: readOnlyRootFilesystem must be true`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${name}/${c.name}: allowPrivilegeEscalation must be false`);
      if (!c.resources?.requests || !c.resources?.limits?.memory) problems.push(`${name}/${c.name}: resources requests and a memory limit are required`);
      for (const e of c.env || []) if (e.value && /SECRET|KEY|PASSWORD|DATABASE_URL/.test(e.name)) problems.push(`${name}/${c.name}: ${e.name} must come from a Secret`);
      if (obj.kind === "Deployment" && (!c.livenessProbe || !c.readinessProbe)) problems.push(`${name}/${c.name}: liveness and readiness probes are required`);
    }
  }
}
for (const k of ["Deployment", "Service", "Job", "PodDisruptionBudget"])
  if (!kinds.has(k)) problems.push(`missing a ${k}`);
if (problems.length) { console.error(problems.join("\n")); process.exit(1); }
console.log(`validated ${[...kinds].join(", ")}`);
