// views/reports.js: the supervisor's Reports page (issue 12): a date range (UTC days), group by
// day, agent or team, agent / team / label filters; charts per day of sessions, wait and first
// response (median and p90) and CSAT, drawn with uPlot (vendor/uplot, loaded on first use); the
// grouped table; the CSV download of the same report.

import { h, replaceChildren, uniqueId } from '../dom.js';
import { store } from '../state.js';
import * as api from '../api.js';

const DAY_MS = 86400000;

function field(labelText, control) {
  const id = control.id || uniqueId('r');
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, labelText), control);
}

function ymd(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Seconds as "45 s", "3 min 20 s", "1 h 5 min"; an em dash for none. */
export function seconds(v) {
  if (v == null) return '—';
  const s = Math.round(v);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
}

let uplotLoading = null;
/** Loads vendor/uplot once (a classic script defining window.uPlot) and its stylesheet. */
function loadUplot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  if (!uplotLoading) {
    uplotLoading = new Promise((resolve, reject) => {
      document.head.append(h('link', { rel: 'stylesheet', href: 'vendor/uplot/uPlot.min.css' }));
      const script = h('script', { src: 'vendor/uplot/uPlot.iife.min.js' });
      script.onload = () => resolve(window.uPlot);
      script.onerror = () => reject(new Error('the chart library did not load'));
      document.head.append(script);
    });
  }
  return uplotLoading;
}

export class ReportsView {
  constructor() {
    const today = ymd(Date.now());
    this.from = h('input', { type: 'date', class: 'input', 'data-testid': 'report-from', value: ymd(Date.now() - 6 * DAY_MS) });
    this.to = h('input', { type: 'date', class: 'input', 'data-testid': 'report-to', value: today });
    this.groupBy = h('select', { class: 'input', 'data-testid': 'report-group-by' },
      h('option', { value: 'day' }, 'Day'), h('option', { value: 'agent' }, 'Agent'), h('option', { value: 'team' }, 'Team'));
    this.agent = h('select', { class: 'input', 'data-testid': 'report-agent' });
    this.team = h('input', { type: 'number', class: 'input', min: '1', 'data-testid': 'report-team', placeholder: 'Any' });
    this.label = h('input', { type: 'text', class: 'input', 'data-testid': 'report-label', placeholder: 'e.g. billing', maxlength: '32' });
    this.csv = h('a', { class: 'btn btn-small', 'data-testid': 'report-csv', download: 'report.csv', href: '#' }, 'Download CSV');
    this.error = h('p', { class: 'form-error', role: 'alert' });
    this.form = h('form', { class: 'report-filters', 'aria-label': 'Report filters', novalidate: true },
      field('From', this.from), field('To', this.to), field('Group by', this.groupBy),
      field('Agent', this.agent), field('Team id', this.team), field('Label', this.label),
      h('div', { class: 'form-actions' },
        h('button', { type: 'submit', class: 'btn btn-primary btn-small', 'data-testid': 'report-submit' }, 'Show'),
        this.csv));
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.load();
    });
    for (const c of [this.from, this.to, this.groupBy, this.agent, this.label, this.team]) {
      c.addEventListener('change', () => this.load());
    }
    this.status = h('p', { class: 'list-status', role: 'status', 'aria-live': 'polite' });
    this.tiles = h('div', { class: 'report-tiles', 'data-testid': 'report-tiles' });
    this.charts = h('div', { class: 'report-charts', 'data-testid': 'report-charts' });
    this.table = h('table', { class: 'report-table', 'data-testid': 'report-table' });
    this.el = h('section', { class: 'reports-pane', 'aria-labelledby': 'reports-title', hidden: true },
      h('h2', { id: 'reports-title', class: 'reports-title' }, 'Reports'),
      this.form, this.error, this.status, this.tiles, this.charts,
      h('div', { class: 'report-table-wrap' }, this.table));
    this.plots = [];
    this.seq = 0;
    this.loaded = false;
  }

  params() {
    return {
      from: this.from.value, to: this.to.value, group_by: this.groupBy.value,
      agent_id: this.agent.value, team_id: this.team.value, label: this.label.value.trim().toLowerCase(),
    };
  }

  show(visible) {
    this.el.hidden = !visible;
    if (visible && !this.loaded) this.load();
  }

  renderAgents() {
    const selected = this.agent.value;
    const agents = [...store.agents.values()].sort((a, b) => a.name.localeCompare(b.name));
    this.agent.replaceChildren(h('option', { value: '' }, 'Any agent'),
      ...agents.map((a) => h('option', { value: String(a.id) }, a.name)));
    if ([...this.agent.options].some((o) => o.value === selected)) this.agent.value = selected;
  }

  async load() {
    const p = this.params();
    if (p.from && p.to && p.from > p.to) {
      this.error.textContent = '"From" must be on or before "To".';
      return;
    }
    this.error.textContent = '';
    this.loaded = true;
    this.csv.href = api.reportCsvUrl(p);
    const seq = ++this.seq;
    this.status.textContent = 'Loading…';
    try {
      const [grouped, daily] = await Promise.all([
        api.reportSummary(p),
        p.group_by === 'day' ? null : api.reportSummary({ ...p, group_by: 'day' }),
      ]);
      if (seq !== this.seq) return;
      const days = (daily || grouped).rows || [];
      this.status.textContent = grouped.rows.length ? '' : 'No sessions in this range.';
      this.el.dataset.loaded = 'true';
      this.renderTiles(days);
      this.renderTable(grouped.rows, p.group_by);
      await this.renderCharts(days, p);
    } catch (err) {
      if (seq !== this.seq) return;
      this.status.textContent = `Could not load the report: ${err?.message || err}`;
    }
  }

  renderTiles(days) {
    const sum = (k) => days.reduce((n, r) => n + (r[k] || 0), 0);
    const csatCount = sum('csat_count');
    const csatSum = days.reduce((n, r) => n + (r.csat_average || 0) * (r.csat_count || 0), 0);
    const tile = (label, value, testid) => h('div', { class: 'report-tile', 'data-testid': testid },
      h('span', { class: 'report-tile-value' }, value), h('span', { class: 'report-tile-label' }, label));
    replaceChildren(this.tiles,
      tile('Sessions', String(sum('sessions')), 'tile-sessions'),
      tile('Assigned', String(sum('assigned')), 'tile-assigned'),
      tile('Missed', String(sum('missed')), 'tile-missed'),
      tile('CSAT', csatCount ? `${(csatSum / csatCount).toFixed(2)} (${csatCount})` : '—', 'tile-csat'));
  }

  renderTable(rows, groupBy) {
    const head = [groupBy === 'day' ? 'Day' : groupBy === 'agent' ? 'Agent' : 'Team', 'Sessions', 'Assigned', 'Missed',
      'Median wait', 'p90 wait', 'Median first response', 'Median handle', 'CSAT'];
    const keyText = (r) => {
      if (groupBy === 'day') return r.key;
      if (r.key == null) return groupBy === 'agent' ? 'Never assigned' : 'No team';
      return r.name || `#${r.key}`;
    };
    replaceChildren(this.table,
      h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((r) => h('tr', { 'data-testid': 'report-row' },
        h('th', { scope: 'row' }, keyText(r)),
        h('td', {}, String(r.sessions)), h('td', {}, String(r.assigned)), h('td', {}, String(r.missed)),
        h('td', {}, seconds(r.median_wait_seconds)), h('td', {}, seconds(r.p90_wait_seconds)),
        h('td', {}, seconds(r.median_first_response_seconds)), h('td', {}, seconds(r.median_handle_seconds)),
        h('td', {}, r.csat_count ? `${r.csat_average.toFixed(2)} (${r.csat_count})` : '—')))));
  }

  async renderCharts(days, p) {
    for (const plot of this.plots) plot.destroy();
    this.plots = [];
    let uPlot;
    try {
      uPlot = await loadUplot();
    } catch (err) {
      replaceChildren(this.charts, h('p', { class: 'muted' }, `Charts unavailable: ${err.message}`));
      return;
    }
    // Every day of the range, also those without sessions.
    const start = Date.parse(`${p.from}T00:00:00Z`);
    const end = Date.parse(`${p.to}T00:00:00Z`);
    const byDay = new Map(days.map((r) => [r.key, r]));
    const x = [];
    const col = (k) => [];
    const series = { sessions: col(), wait: col(), p90: col(), frt: col(), csat: col() };
    for (let t = start; t <= end && x.length < 400; t += DAY_MS) {
      const r = byDay.get(ymd(t));
      x.push(t / 1000);
      series.sessions.push(r ? r.sessions : 0);
      series.wait.push(r?.median_wait_seconds ?? null);
      series.p90.push(r?.p90_wait_seconds ?? null);
      series.frt.push(r?.median_first_response_seconds ?? null);
      series.csat.push(r?.csat_count ? r.csat_average : null);
    }
    const width = Math.max(280, Math.min(560, (this.charts.clientWidth || 600) - 16));
    const chart = (title, testid, data, lines) => {
      const box = h('figure', { class: 'report-chart', 'data-testid': testid }, h('figcaption', {}, title));
      this.charts.append(box);
      const opts = {
        width, height: 180, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 2, spanGaps: true, points: { show: true } }))],
        axes: [{}, { size: 50 }],
        scales: { x: { time: true } },
      };
      this.plots.push(new uPlot(opts, [x, ...data], box));
    };
    replaceChildren(this.charts);
    chart('Sessions per day', 'chart-sessions', [series.sessions], [{ label: 'Sessions', color: '#2456d6' }]);
    chart('Wait (seconds)', 'chart-wait', [series.wait, series.p90],
      [{ label: 'Median', color: '#11652f' }, { label: 'p90', color: '#9a5b00' }]);
    chart('First response (seconds, median)', 'chart-first-response', [series.frt], [{ label: 'Median', color: '#7a3fd1' }]);
    chart('CSAT (1 Bad – 3 Good)', 'chart-csat', [series.csat], [{ label: 'Average', color: '#c62828' }]);
  }

  update(topics) {
    if (topics.has('agents') || topics.has('all')) this.renderAgents();
  }
}
