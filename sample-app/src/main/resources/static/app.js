'use strict';

const MODES = ['healthy', 'outage', 'slow', 'hang', 'rate_limited', 'flapping'];
const COLORS = { openai: '#10a37f', anthropic: '#c96442', local: '#3b6fd8', fallback: '#8e8e8e', failed: '#d64541' };

const chart = new Chart(document.getElementById('traffic'), {
  type: 'line',
  data: { labels: [], datasets: [] },
  options: {
    animation: false,
    scales: {
      y: { beginAtZero: true, title: { display: true, text: 'requests / s' } },
      p99: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'p99 ms' } }
    },
    plugins: { legend: { position: 'bottom' } }
  }
});

async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  return { ok: response.ok, body: await response.json() };
}

const DRILL_FAULTS = ['error', 'latency', 'hang'];

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

function duration(seconds) {
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m ${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

// The simulator's switch: makes the simulated provider itself misbehave.
function simulatorControl(provider) {
  const select = el('select', { id: 'mode-' + provider.name });
  select.setAttribute('aria-label', 'simulated fault of ' + provider.name);
  for (const mode of MODES) {
    select.appendChild(el('option', { value: mode, textContent: mode.replace('_', ' ') }));
  }
  select.addEventListener('change', () => post(`/api/simulator/${provider.simulates}/${select.value}`));
  return el('div', { className: 'control simulated' },
    el('div', { className: 'control-title' }, 'Simulated fault ', el('small', {}, '(the provider misbehaves)')), select);
}

// A drill through the starter's own actuator endpoint, as an operator would start one.
function drillControl(provider, settings) {
  const name = provider.name;
  const fault = el('select', { id: 'drill-fault-' + name });
  fault.setAttribute('aria-label', 'drill fault of ' + name);
  for (const kind of DRILL_FAULTS) {
    fault.appendChild(el('option', { value: kind, textContent: kind }));
  }
  const ratio = el('input', { id: 'drill-ratio-' + name, type: 'number', min: '0', max: '1', step: '0.1', value: '1',
    title: 'share of attempts that meet the fault, 0 to 1' });
  ratio.setAttribute('aria-label', 'drill ratio of ' + name);
  const length = el('input', { id: 'drill-duration-' + name, type: 'text', value: '5m', size: 4,
    title: `how long it runs, at most ${duration(settings.maxDurationSeconds)} (resilient-ai.drills.max-duration)` });
  length.setAttribute('aria-label', 'drill duration of ' + name);
  const latency = el('input', { id: 'drill-latency-' + name, type: 'text', placeholder: '½ timeout', size: 6,
    hidden: true, title: 'the delay added before the real call' });
  latency.setAttribute('aria-label', 'drill latency of ' + name);
  fault.addEventListener('change', () => { latency.hidden = fault.value !== 'latency'; });
  const start = el('button', { id: 'drill-start-' + name, type: 'button', textContent: 'Start drill' });
  const stop = el('button', { id: 'drill-stop-' + name, type: 'button', textContent: 'Stop', disabled: true });
  const error = el('div', { id: 'drill-error-' + name, className: 'drill-error' });
  const send = async (body) => {
    error.textContent = '';
    try {
      const { ok, body: reply } = await post(`/actuator/resilientai/${name}`, { action: 'drill', ...body });
      if (!ok) {
        error.textContent = `${reply.status} ${reply.error}: ${reply.message}`;
      }
    }
    catch (e) {
      error.textContent = 'The resilientai endpoint did not answer: ' + e;
    }
    refresh();
  };
  start.addEventListener('click', () => {
    const body = { fault: fault.value, ratio: ratio.value, duration: length.value };
    if (fault.value === 'latency' && latency.value) {
      body.latency = latency.value;
    }
    send(body);
  });
  stop.addEventListener('click', () => send({ fault: 'none' }));
  const form = el('div', { className: 'drill-form' }, fault,
    el('label', {}, 'ratio ', ratio), el('label', {}, 'for ', length), latency, start, stop);
  if (!settings.enabled) {
    form.replaceChildren('Drills are off (resilient-ai.drills.enabled).');
  }
  return el('div', { className: 'control drill' },
    el('div', { className: 'control-title' }, 'Drill ', el('small', {}, '(injected by the starter)')),
    el('div', { id: 'drill-' + name, className: 'drill-status',
      title: 'Injected errors and hangs count against the breaker, as a real outage would' }, 'none'), form, error);
}

function drillText(drill) {
  const what = drill.fault === 'latency' ? `latency +${drill.latencyMillis} ms` : drill.fault;
  const injected = drill.fault === 'latency' ? `${drill.injected} delayed` : `${drill.injected} injected, not sent`;
  return `${what} on ${Math.round(drill.ratio * 100)} % of attempts · ${duration(drill.secondsLeft)} left · `
    + `${injected} · by ${drill.by}`;
}

function renderCards(providers, settings) {
  const container = document.getElementById('providers');
  for (const provider of providers) {
    let card = document.getElementById('card-' + provider.name);
    if (!card) {
      card = document.createElement('article');
      card.id = 'card-' + provider.name;
      card.className = 'card';
      card.innerHTML = `<h3>${provider.name}
          <span class="badge simulated" id="simulated-badge-${provider.name}" hidden></span>
          <span class="badge drill" id="drill-badge-${provider.name}" hidden></span></h3>
        <dl>
          <dt>breaker</dt><dd class="breaker" id="breaker-${provider.name}"></dd>
          <dt>classes</dt><dd id="classes-${provider.name}"></dd>
          <dt title="requests the simulated provider received">received</dt><dd id="requests-${provider.name}"></dd>
          <dt>simulates</dt><dd>${provider.simulates || '-'}</dd>
        </dl>`;
      if (provider.simulates) {
        card.appendChild(simulatorControl(provider));
      }
      card.appendChild(drillControl(provider, settings));
      container.appendChild(card);
    }
    const faulty = provider.mode && provider.mode !== 'healthy';
    card.className = 'card ' + provider.breakerState.toLowerCase() + (provider.drill ? ' drilling' : '')
      + (faulty ? ' simulated-fault' : '');
    document.getElementById('breaker-' + provider.name).textContent = provider.breakerState + (provider.enabled ? '' : ' (disabled)');
    document.getElementById('classes-' + provider.name).textContent = (provider.allowedDataClasses || ['all']).join(', ');
    document.getElementById('requests-' + provider.name).textContent = provider.requests ?? '-';
    const simulatedBadge = document.getElementById('simulated-badge-' + provider.name);
    simulatedBadge.hidden = !faulty;
    simulatedBadge.textContent = faulty ? 'simulated ' + provider.mode.replace('_', ' ') : '';
    const drillBadge = document.getElementById('drill-badge-' + provider.name);
    drillBadge.hidden = !provider.drill;
    drillBadge.textContent = provider.drill ? 'drill: ' + provider.drill.fault : '';
    const status = document.getElementById('drill-' + provider.name);
    status.textContent = provider.drill ? drillText(provider.drill) : 'none';
    status.classList.toggle('running', !!provider.drill);
    const stop = document.getElementById('drill-stop-' + provider.name);
    if (stop) {
      stop.disabled = !provider.drill;
    }
    const select = document.getElementById('mode-' + provider.name);
    if (select && document.activeElement !== select && provider.mode) {
      select.value = provider.mode;
    }
  }
}

function renderChart(traffic) {
  chart.data.labels = traffic.seconds.map((s) => new Date(s * 1000).toLocaleTimeString());
  const datasets = Object.entries(traffic.served).map(([name, counts]) => ({
    label: name, data: counts, borderColor: COLORS[name] || '#555', backgroundColor: COLORS[name] || '#555',
    yAxisID: 'y', pointRadius: 0, tension: 0.2
  }));
  datasets.push({ label: 'p99 ms', data: traffic.p99Millis, borderColor: '#222', borderDash: [4, 4],
    yAxisID: 'p99', pointRadius: 0, spanGaps: true });
  chart.data.datasets = datasets;
  chart.update();
}

let loadRunning = false;

async function refresh() {
  try {
    const response = await fetch('/api/dashboard');
    const dashboard = await response.json();
    renderCards(dashboard.providers, dashboard.drills);
    renderChart(dashboard.traffic);
    loadRunning = dashboard.load.running;
    document.getElementById('load-toggle').textContent = loadRunning ? 'Stop load' : `Start load (${dashboard.load.requestsPerSecond} req/s)`;
  }
  catch (e) {
    // the next poll will try again
  }
}

document.getElementById('load-toggle').addEventListener('click', async () => {
  await post('/api/load', { running: !loadRunning, requestsPerSecond: 10 });
  refresh();
});

document.getElementById('chat-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const answer = document.getElementById('chat-answer');
  answer.className = 'answer';
  answer.textContent = '…';
  const body = { message: document.getElementById('chat-message').value };
  const dataClass = document.getElementById('chat-class').value;
  if (dataClass) {
    body.dataClass = dataClass;
  }
  const { ok, body: reply } = await post('/api/chat', body);
  if (ok) {
    answer.innerHTML = '';
    const provider = document.createElement('span');
    provider.className = 'provider';
    provider.id = 'answer-provider';
    provider.textContent = reply.provider;
    answer.append(provider, ` answered in ${reply.attempts} attempt(s): ${reply.content}`);
  }
  else {
    answer.className = 'answer error';
    answer.textContent = `${reply.status} ${reply.title}: ${reply.detail}`;
  }
  refresh();
});

refresh();
setInterval(refresh, 1000);
