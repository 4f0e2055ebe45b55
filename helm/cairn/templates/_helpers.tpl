{{/* The chart's name, as in labels. */}}
{{- define "cairn.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's base resource name. */}}
{{- define "cairn.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "cairn.gatewayName" -}}
{{- printf "%s-gateway" (include "cairn.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cairn.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "cairn.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cairn
{{- end }}

{{/* Selector labels of one component: server, gateway or migration. */}}
{{- define "cairn.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cairn.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "cairn.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cairn.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "cairn.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The server's environment: the chart-managed settings, the plain settings from .Values.config,
and every secret but the owner's password (cairn.ownerEnv) as a secretKeyRef (never a literal value).
*/}}
{{- define "cairn.env" -}}
- name: CAIRN_GRPC_PORT
  value: {{ .Values.ports.grpc | quote }}
- name: CAIRN_METRICS_PORT
  value: {{ .Values.ports.metrics | quote }}
- name: CAIRN_DATA_DIR
  value: /var/lib/cairn
{{- if .Values.console.enabled }}
- name: CAIRN_WEB_DIR
  value: {{ .Values.console.dir | quote }}
- name: CAIRN_WEB_PORT
  value: {{ .Values.ports.web | quote }}
{{- end }}
{{- if .Values.mcp.enabled }}
- name: CAIRN_MCP_PORT
  value: {{ .Values.ports.mcp | quote }}
- name: CAIRN_MCP_ADDRESS
  value: "0.0.0.0"
{{- with .Values.mcp.publicUrl }}
- name: CAIRN_MCP_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{- end }}
- name: JAVA_TOOL_OPTIONS
  value: {{ printf "%s -Djava.io.tmpdir=/tmp" .Values.javaToolOptions | trim | quote }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- with .Values.tracing }}
- name: OTEL_SERVICE_NAME
  value: cairn
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE),service.instance.id=$(POD_NAME)%s" (ternary (printf ",%s" .resourceAttributes) "" (ne .resourceAttributes "")) | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ .sampler | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .samplerRatio | toString | quote }}
{{- with .otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- range $name, $value := .Values.config }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- $secret := .Values.secrets.existingSecret }}
{{- $required := dict "CAIRN_DATABASE_URL" .Values.secrets.databaseUrl "CAIRN_DATABASE_APP_PASSWORD" .Values.secrets.databaseAppPassword "CAIRN_KEK" .Values.secrets.kek "CAIRN_AUDIT_HMAC_KEY" .Values.secrets.auditHmacKey "CAIRN_ATTESTATION_KEY" .Values.secrets.attestationKey }}
{{- range $name := keys $required | sortAlpha }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ get $required $name }}
{{- end }}
{{- $optional := dict "CAIRN_KEK_PREVIOUS" .Values.secrets.kekPrevious "CAIRN_PAGE_TOKEN_KEY" .Values.secrets.pageTokenKey "CAIRN_ADMIN_TOKEN" .Values.secrets.adminToken "CAIRN_EMBEDDINGS_KEY" .Values.secrets.embeddingsKey }}
{{- range $name := keys $optional | sortAlpha }}
{{- with get $optional $name }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ . }}
      optional: true
{{- end }}
{{- end }}
{{- end }}

{{/*
The schema owner's password: only for what migrates (the hook Job, or every pod when the hook is
off). Pods behind the hook check the schema version as the application role and never see it.
*/}}
{{- define "cairn.ownerEnv" -}}
- name: CAIRN_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: {{ .Values.secrets.databasePassword }}
{{- end }}

{{/* Writable mounts; the root filesystem is read-only. */}}
{{- define "cairn.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /var/lib/cairn
{{- end }}

{{- define "cairn.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.volumes.tmpSizeLimit }}
- name: data
  emptyDir:
    sizeLimit: {{ .Values.volumes.dataSizeLimit }}
{{- end }}

{{/* The Envoy config the gateway runs: inline, else files/envoy.yaml, with substitutions. */}}
{{- define "cairn.envoyConfig" -}}
{{- $config := .Values.gateway.config.inline }}
{{- if not $config }}
{{- $config = .Files.Get "files/envoy.yaml" }}
{{- end }}
{{- if not $config }}
{{- fail "gateway: no Envoy config. Copy gateway/envoy.yaml to helm/cairn/files/envoy.yaml (tools/helm/run.sh does), set gateway.config.inline, or set gateway.enabled=false" }}
{{- end }}
{{- range .Values.gateway.config.substitutions }}
{{- $config = replace .from (tpl .to $) $config }}
{{- end }}
{{- $config }}
{{- end }}
