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

function renderCards(providers) {
  const container = document.getElementById('providers');
  for (const provider of providers) {
    let card = document.getElementById('card-' + provider.name);
    if (!card) {
      card = document.createElement('article');
      card.id = 'card-' + provider.name;
      card.className = 'card';
      card.innerHTML = `<h3>${provider.name}</h3>
        <dl>
          <dt>breaker</dt><dd class="breaker" id="breaker-${provider.name}"></dd>
          <dt>classes</dt><dd id="classes-${provider.name}"></dd>
          <dt>requests</dt><dd id="requests-${provider.name}"></dd>
          <dt>simulates</dt><dd>${provider.simulates || '-'}</dd>
        </dl>`;
      if (provider.simulates) {
        const select = document.createElement('select');
        select.id = 'mode-' + provider.name;
        select.setAttribute('aria-label', 'fault of ' + provider.name);
        for (const mode of MODES) {
          const option = document.createElement('option');
          option.value = mode;
          option.textContent = mode.replace('_', ' ');
          select.appendChild(option);
        }
        select.addEventListener('change', () => post(`/api/simulator/${provider.simulates}/${select.value}`));
        const simulatorLabel = document.createElement('p');
        simulatorLabel.className = 'hint';
        simulatorLabel.textContent = 'Simulator: the provider itself misbehaves (it is called).';
        card.appendChild(simulatorLabel);
        card.appendChild(select);
      }
      const drill = document.createElement('div');
      drill.className = 'drill';
      drill.innerHTML = `<p class="hint">Drill: the starter injects the fault in front of a healthy provider
          (bounded, audited; an injected error never calls it).</p>
        <select id="drill-fault-${provider.name}" aria-label="drill fault of ${provider.name}">
          <option value="error">error</option><option value="latency">latency</option><option value="hang">hang</option>
        </select>
        <input id="drill-ratio-${provider.name}" type="number" min="0" max="1" step="0.1" value="1" aria-label="drill ratio of ${provider.name}">
        <select id="drill-duration-${provider.name}" aria-label="drill duration of ${provider.name}">
          <option value="1m">1 min</option><option value="5m">5 min</option>
        </select>
        <button id="drill-start-${provider.name}" type="button">Start drill</button>
        <button id="drill-stop-${provider.name}" type="button">Stop</button>
        <p class="drill-state" id="drill-${provider.name}"></p>`;
      card.appendChild(drill);
      drill.querySelector('#drill-start-' + provider.name).addEventListener('click', () => post(`/api/drill/${provider.name}`, {
        fault: document.getElementById('drill-fault-' + provider.name).value,
        ratio: Number(document.getElementById('drill-ratio-' + provider.name).value),
        duration: document.getElementById('drill-duration-' + provider.name).value
      }));
      drill.querySelector('#drill-stop-' + provider.name).addEventListener('click', () => post(`/api/drill/${provider.name}`, { fault: 'none' }));
      container.appendChild(card);
    }
    card.className = 'card ' + provider.breakerState.toLowerCase();
    document.getElementById('breaker-' + provider.name).textContent = provider.breakerState + (provider.enabled ? '' : ' (disabled)');
    document.getElementById('classes-' + provider.name).textContent = (provider.allowedDataClasses || ['all']).join(', ');
    document.getElementById('requests-' + provider.name).textContent = provider.requests ?? '-';
    document.getElementById('drill-' + provider.name).textContent = provider.drill
      ? `DRILL: ${provider.drill.fault} on ${Math.round(provider.drill.ratio * 100)} % of attempts, ${provider.drill.secondsLeft} s left`
      : '';
    card.classList.toggle('drilling', !!provider.drill);
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
    renderCards(dashboard.providers);
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
