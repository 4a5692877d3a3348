// A strict reader of the Prometheus text exposition format 0.0.4, as a
// scraper would apply it: every sample belongs to a family declared by
// # HELP and # TYPE, names and label names are valid, label values are
// properly escaped, and histograms are cumulative, end with le="+Inf" and
// have _sum and _count with the +Inf count. Throws on the first fault.
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseLabels(text, line) {
  const labels = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`labels without "=": ${line}`);
    const name = text.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`bad label name "${name}": ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`label value not quoted: ${line}`);
    let j = eq + 2;
    let value = '';
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape in label value: ${line}`);
      } else {
        value += text[j];
      }
    }
    if (j >= text.length) throw new Error(`unterminated label value: ${line}`);
    if (name in labels) throw new Error(`label "${name}" twice: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`expected "," between labels: ${line}`);
  }
  return labels;
}

// → Map name → {type, help, samples: [{name, labels, value}]}
export function parsePrometheus(text) {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map();
  let current = null;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    let m;
    if ((m = line.match(/^# HELP (\S+) (.*)$/))) {
      if (!NAME.test(m[1])) throw new Error(`bad metric name: ${line}`);
      if (families.has(m[1])) throw new Error(`family ${m[1]} declared twice`);
      current = { name: m[1], help: m[2], type: undefined, samples: [] };
      families.set(m[1], current);
      continue;
    }
    if ((m = line.match(/^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/))) {
      if (!current || current.name !== m[1] || current.type) throw new Error(`TYPE without its HELP just before: ${line}`);
      current.type = m[2];
      continue;
    }
    if (line.startsWith('#')) throw new Error(`unknown comment line: ${line}`);
    m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText, valueText] = m;
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN') throw new Error(`bad value: ${line}`);
    if (!current || !current.type) throw new Error(`sample outside a declared family: ${line}`);
    const allowed = current.type === 'histogram' ? [`${current.name}_bucket`, `${current.name}_sum`, `${current.name}_count`] : [current.name];
    if (!allowed.includes(name)) throw new Error(`sample ${name} in family ${current.name} (${current.type})`);
    current.samples.push({ name, labels: labelText ? parseLabels(labelText, line) : {}, value });
  }
  for (const f of families.values()) {
    if (!f.type) throw new Error(`family ${f.name} has no TYPE`);
    if (f.type === 'counter' && f.samples.some((s) => s.value < 0)) throw new Error(`negative counter ${f.name}`);
    if (f.type === 'histogram') checkHistogram(f);
  }
  return families;
}

const seriesKey = (labels) => JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le').sort());

function checkHistogram(f) {
  const series = new Map();
  for (const s of f.samples) {
    const key = seriesKey(s.labels);
    if (!series.has(key)) series.set(key, { buckets: [], sum: undefined, count: undefined });
    const entry = series.get(key);
    if (s.name.endsWith('_bucket')) {
      if (!('le' in s.labels)) throw new Error(`${f.name}: a bucket without le`);
      entry.buckets.push({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), value: s.value });
    } else if (s.name.endsWith('_sum')) entry.sum = s.value;
    else entry.count = s.value;
  }
  for (const [key, e] of series) {
    if (e.buckets.length === 0 || e.sum === undefined || e.count === undefined) throw new Error(`${f.name} ${key}: buckets, _sum and _count are all needed`);
    for (let i = 1; i < e.buckets.length; i++) {
      if (!(e.buckets[i].le > e.buckets[i - 1].le)) throw new Error(`${f.name} ${key}: le not increasing`);
      if (e.buckets[i].value < e.buckets[i - 1].value) throw new Error(`${f.name} ${key}: buckets not cumulative`);
    }
    const last = e.buckets[e.buckets.length - 1];
    if (last.le !== Infinity) throw new Error(`${f.name} ${key}: the last bucket is not le="+Inf"`);
    if (last.value !== e.count) throw new Error(`${f.name} ${key}: +Inf bucket ${last.value} != _count ${e.count}`);
  }
}

// The value of one sample: `name` with exactly `labels` (le included for a bucket).
export function sample(families, family, name, labels = {}) {
  const f = families.get(family);
  if (!f) return undefined;
  const want = JSON.stringify(Object.entries(labels).sort());
  const s = f.samples.find((x) => x.name === name && JSON.stringify(Object.entries(x.labels).sort()) === want);
  return s?.value;
}
