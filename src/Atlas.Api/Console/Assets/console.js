// Atlas dispatcher console: a live map drawn in SVG from the API's snapshot and its server-sent events.
// No library and nothing fetched from elsewhere: the page works offline. Data only ever comes with a bearer token.
'use strict';

(() => {
  const TOKEN_KEY = 'atlas.console.token';
  const SVG = 'http://www.w3.org/2000/svg';
  const W = 1000, H = 680, PAD = 36;
  const METERS_PER_DEGREE = 111320;
  const MAX_LIST = 100;
  const STATUS_ORDER = { offered: 0, on_trip: 1, available: 2, offline: 3 };
  const STATUS_TEXT = { available: 'available', offered: 'offered a ride', on_trip: 'on a trip', offline: 'offline' };

  const $ = id => document.getElementById(id);

  const state = {
    token: null,
    drivers: new Map(),
    rides: new Map(),
    surge: [],
    metrics: null,
    cities: [],
    freshness: 30,
    fitted: null,      // bounds the view fits while nobody pans or zooms
    view: null,        // { lat, lon, scale } once someone pans or zooms; null = follow the fitted bounds
    selected: null,    // { kind, id }
    stream: null,      // AbortController of the event stream
    live: false,       // the event stream is open
    renderQueued: false,
    listsDirty: true,
  };

  // ------------------------------------------------------------------ API

  async function api(path, options = {}) {
    const headers = Object.assign({ Accept: 'application/json' }, options.headers || {});
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    return fetch(path, Object.assign({}, options, { headers, cache: 'no-store' }));
  }

  async function problemOf(response) {
    try {
      const problem = await response.json();
      return problem.detail || problem.title || `HTTP ${response.status}`;
    } catch {
      return `HTTP ${response.status}`;
    }
  }

  // ------------------------------------------------------------- sign-in

  function showSignIn(message) {
    stopStream();
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    state.drivers.clear();
    state.rides.clear();
    state.surge = [];
    $('console').hidden = true;
    $('sign-in').hidden = false;
    $('sign-out').hidden = true;
    $('who').textContent = '';
    setConnection('Signed out', null);
    $('sign-in-error').textContent = message || '';
    for (const group of ['drivers', 'rides', 'surge']) $(group).replaceChildren();
  }

  async function signIn(token) {
    state.token = token.trim();
    const response = await api('/console/api/snapshot');
    if (!response.ok) {
      const why = await problemOf(response);
      const role = response.status === 403 ? 'This token is not for an admin or a dispatcher: ' : 'This token was refused: ';
      showSignIn(role + why);
      return false;
    }
    sessionStorage.setItem(TOKEN_KEY, state.token);
    $('sign-in').hidden = true;
    $('console').hidden = false;
    $('sign-out').hidden = false;
    $('sign-in-error').textContent = '';
    $('who').textContent = describeToken(state.token);
    loadSnapshot(await response.json());
    follow();
    return true;
  }

  function describeToken(token) {
    try {
      const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
      return `${payload.sub} (${payload.role})`;
    } catch {
      return '';
    }
  }

  $('token-form').addEventListener('submit', async event => {
    event.preventDefault();
    await signIn($('token-input').value);
  });

  $('issue-form').addEventListener('submit', async event => {
    event.preventDefault();
    const body = { user_id: $('issue-user').value.trim(), role: 'dispatcher' };
    const secret = $('issue-secret').value;
    if (secret) body.client_secret = secret;
    const response = await fetch('/auth/token', {
      method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body),
    });
    if (!response.ok) {
      showSignIn('No token: ' + await problemOf(response));
      return;
    }
    await signIn((await response.json()).access_token);
  });

  $('sign-out').addEventListener('click', () => showSignIn(''));

  // ----------------------------------------------------------- live data

  function loadSnapshot(snapshot) {
    state.drivers = new Map(snapshot.drivers.map(d => [d.driver_id, d]));
    state.rides = new Map(snapshot.rides.map(r => [r.ride_id, r]));
    state.surge = snapshot.surge_cells;
    state.metrics = snapshot.metrics;
    state.cities = snapshot.cities;
    state.freshness = snapshot.freshness_window_seconds;
    state.listsDirty = true;
    renderCities();
    queueRender();
  }

  function applyUpdate(update) {
    for (const driver of update.drivers) state.drivers.set(driver.driver_id, driver);
    for (const ride of update.rides) state.rides.set(ride.ride_id, ride);
    for (const id of update.removed_drivers) state.drivers.delete(id);
    for (const id of update.removed_rides) state.rides.delete(id);
    state.surge = update.surge_cells;
    state.metrics = update.metrics;
    if (update.drivers.length || update.rides.length || update.removed_drivers.length || update.removed_rides.length) state.listsDirty = true;
    queueRender();
  }

  function stopStream() {
    if (state.stream) state.stream.abort();
    state.stream = null;
    state.live = false;
  }

  // Server-sent events over fetch, so the token travels in the Authorization header (EventSource cannot send it).
  async function follow() {
    stopStream();
    const controller = new AbortController();
    state.stream = controller;
    let first = true;
    while (!controller.signal.aborted) {
      try {
        if (!first) {
          const snapshot = await api('/console/api/snapshot', { signal: controller.signal });
          if (snapshot.status === 401 || snapshot.status === 403) {
            showSignIn('Signed out: ' + await problemOf(snapshot));
            return;
          }
          if (snapshot.ok) loadSnapshot(await snapshot.json());
        }
        first = false;
        const response = await api('/console/api/events', { signal: controller.signal, headers: { Accept: 'text/event-stream' } });
        if (response.status === 401 || response.status === 403) {
          showSignIn('Signed out: ' + await problemOf(response));
          return;
        }
        if (!response.ok || !response.body) throw new Error(await problemOf(response));
        state.live = true;
        setConnection('Live', true);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            handleEvent(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return;
      }
      state.live = false;
      setConnection('Reconnecting…', false);
      await new Promise(resolve => setTimeout(resolve, 2000));
    }
  }

  function handleEvent(block) {
    let name = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (name === 'update' && data.length) applyUpdate(JSON.parse(data.join('\n')));
  }

  function setConnection(text, live) {
    const element = $('connection');
    element.textContent = live ? `${text} · updated ${new Date().toLocaleTimeString()}` : text;
    element.className = 'connection' + (live === true ? ' live' : live === false ? ' down' : '');
  }

  // -------------------------------------------------------------- the map

  function queueRender() {
    if (state.renderQueued) return;
    state.renderQueued = true;
    requestAnimationFrame(() => {
      state.renderQueued = false;
      render();
    });
  }

  function extents() {
    let south = Infinity, north = -Infinity, west = Infinity, east = -Infinity;
    const add = p => {
      if (!p) return;
      south = Math.min(south, p.lat); north = Math.max(north, p.lat);
      west = Math.min(west, p.long); east = Math.max(east, p.long);
    };
    for (const driver of state.drivers.values()) add(driver.location);
    for (const ride of state.rides.values()) { add(ride.pickup); add(ride.dropoff); }
    for (const cell of state.surge) { add({ lat: cell.south, long: cell.west }); add({ lat: cell.north, long: cell.east }); }
    return south === Infinity ? null : { south, north, west, east };
  }

  function contains(outer, inner) {
    return outer && inner.south >= outer.south && inner.north <= outer.north && inner.west >= outer.west && inner.east <= outer.east;
  }

  // The view follows what is on the map; it only grows, so dots do not jump while the city breathes.
  function currentView() {
    if (state.view) return state.view;
    const now = extents();
    if (now && !contains(state.fitted, now)) {
      const padLat = Math.max((now.north - now.south) * 0.08, 0.002);
      const padLon = Math.max((now.east - now.west) * 0.08, 0.002);
      state.fitted = { south: now.south - padLat, north: now.north + padLat, west: now.west - padLon, east: now.east + padLon };
    }
    const b = state.fitted || { south: -0.01, north: 0.01, west: -0.01, east: 0.01 };
    const lat = (b.south + b.north) / 2, lon = (b.west + b.east) / 2;
    const cos = Math.cos(lat * Math.PI / 180);
    const scale = Math.min((W - 2 * PAD) / Math.max((b.east - b.west) * cos, 1e-6), (H - 2 * PAD) / Math.max(b.north - b.south, 1e-6));
    return { lat, lon, scale };
  }

  function projector(view) {
    const cos = Math.cos(view.lat * Math.PI / 180);
    return p => [W / 2 + (p.long - view.lon) * cos * view.scale, H / 2 - (p.lat - view.lat) * view.scale];
  }

  function svg(tag, attributes, parent) {
    const element = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    if (parent) parent.appendChild(element);
    return element;
  }

  function setTitle(element, text) {
    let title = element.querySelector('title');
    if (!title) title = svg('title', {}, element);
    if (title.textContent !== text) title.textContent = text;
  }

  function render() {
    if ($('console').hidden) return;
    const view = currentView();
    const project = projector(view);
    drawStreets(view);
    drawSurge(project);
    drawRides(project);
    drawDrivers(project);
    renderFigures();
    if (state.listsDirty) renderLists();
  }

  // A street grid in metres: the city drawn by ourselves, no tiles.
  function drawStreets(view) {
    const group = $('streets');
    const key = `${view.lat.toFixed(6)}|${view.lon.toFixed(6)}|${view.scale.toFixed(3)}`;
    if (group.dataset.view === key) return;
    group.dataset.view = key;
    group.replaceChildren();
    const metersPerPixel = METERS_PER_DEGREE / view.scale;
    const step = [50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000].find(s => s / metersPerPixel >= 45) || 100000;
    const cos = Math.cos(view.lat * Math.PI / 180);
    const stepLat = step / METERS_PER_DEGREE, stepLon = step / (METERS_PER_DEGREE * cos);
    const halfLat = (H / 2) / view.scale, halfLon = (W / 2) / (view.scale * cos);
    const project = projector(view);
    for (let i = Math.floor((view.lat - halfLat) / stepLat); i * stepLat <= view.lat + halfLat; i++) {
      const [, y] = project({ lat: i * stepLat, long: view.lon });
      svg('line', { x1: 0, x2: W, y1: y, y2: y, class: i % 5 === 0 ? 'major' : '' }, group);
    }
    for (let j = Math.floor((view.lon - halfLon) / stepLon); j * stepLon <= view.lon + halfLon; j++) {
      const [x] = project({ lat: view.lat, long: j * stepLon });
      svg('line', { x1: x, x2: x, y1: 0, y2: H, class: j % 5 === 0 ? 'major' : '' }, group);
    }
    const scale = $('scale');
    scale.replaceChildren();
    const length = step / metersPerPixel;
    svg('line', { x1: 16, x2: 16 + length, y1: H - 16, y2: H - 16 }, scale);
    svg('line', { x1: 16, x2: 16, y1: H - 21, y2: H - 11 }, scale);
    svg('line', { x1: 16 + length, x2: 16 + length, y1: H - 21, y2: H - 11 }, scale);
    svg('text', { x: 16, y: H - 26 }, scale).textContent = step >= 1000 ? `${step / 1000} km` : `${step} m`;
  }

  function drawSurge(project) {
    const group = $('surge');
    group.replaceChildren();
    for (const cell of state.surge) {
      const [x1, y1] = project({ lat: cell.north, long: cell.west });
      const [x2, y2] = project({ lat: cell.south, long: cell.east });
      const g = svg('g', { 'data-cell': cell.cell }, group);
      svg('rect', { x: x1, y: y1, width: Math.max(x2 - x1, 1), height: Math.max(y2 - y1, 1) }, g);
      svg('text', { x: x1 + 6, y: y1 + 16 }, g).textContent = `×${cell.multiplier}`;
      setTitle(g, `Surge ×${cell.multiplier} in ${cell.city} cell ${cell.cell}`);
    }
  }

  function drawRides(project) {
    const group = $('rides');
    const seen = new Set();
    for (const ride of state.rides.values()) {
      if (!ride.pickup || !ride.dropoff) continue;
      seen.add(ride.ride_id);
      let g = group.querySelector(`g[data-ride-id="${CSS.escape(ride.ride_id)}"]`);
      if (!g) {
        g = svg('g', { 'data-ride-id': ride.ride_id }, group);
        svg('line', {}, g);
        svg('circle', { class: 'pickup', r: 6 }, g);
        svg('rect', { class: 'dropoff', width: 10, height: 10 }, g);
        g.addEventListener('click', () => openRide(ride.ride_id));
      }
      const [px, py] = project(ride.pickup);
      const [dx, dy] = project(ride.dropoff);
      g.setAttribute('class', ride.status + (isSelected('ride', ride.ride_id) ? ' selected-ride' : ''));
      g.setAttribute('data-status', ride.status);
      const [line, pickup, dropoff] = [g.querySelector('line'), g.querySelector('circle'), g.querySelector('rect')];
      line.setAttribute('x1', px); line.setAttribute('y1', py); line.setAttribute('x2', dx); line.setAttribute('y2', dy);
      pickup.setAttribute('cx', px); pickup.setAttribute('cy', py);
      dropoff.setAttribute('x', dx - 5); dropoff.setAttribute('y', dy - 5);
      pickup.classList.toggle('selected', isSelected('ride', ride.ride_id));
      setTitle(g, `Ride ${ride.ride_id}: ${ride.status}` + (ride.driver_id ? `, driver ${ride.driver_id}` : '') +
        (ride.offered_driver_id ? `, offered to ${ride.offered_driver_id}` : '') + ` (${ride.vehicle_type}, ${money(ride.price, ride.currency)})`);
    }
    for (const g of [...group.children]) if (!seen.has(g.dataset.rideId)) g.remove();
  }

  function drawDrivers(project) {
    const group = $('drivers');
    const seen = new Set();
    for (const driver of state.drivers.values()) {
      if (!driver.location) continue;
      seen.add(driver.driver_id);
      let dot = group.querySelector(`circle[data-driver-id="${CSS.escape(driver.driver_id)}"]`);
      if (!dot) {
        dot = svg('circle', { 'data-driver-id': driver.driver_id, r: 6 }, group);
        dot.addEventListener('click', () => openDriver(driver.driver_id));
      }
      const [x, y] = project(driver.location);
      dot.setAttribute('cx', x.toFixed(1));
      dot.setAttribute('cy', y.toFixed(1));
      dot.setAttribute('data-lat', driver.location.lat);
      dot.setAttribute('data-long', driver.location.long);
      dot.setAttribute('data-status', driver.status);
      dot.setAttribute('class', `${driver.status}${driver.stale ? ' stale' : ''}${isSelected('driver', driver.driver_id) ? ' selected' : ''}`);
      setTitle(dot, `Driver ${driver.driver_id}: ${STATUS_TEXT[driver.status] || driver.status}` +
        (driver.ride_id ? ` (ride ${driver.ride_id})` : '') + (driver.stale ? ', not heard from lately' : ''));
    }
    for (const dot of [...group.children]) if (!seen.has(dot.dataset.driverId)) dot.remove();
  }

  function isSelected(kind, id) {
    return state.selected && state.selected.kind === kind && state.selected.id === id;
  }

  // Keyboard: arrows pan, + and - zoom, 0 fits again.
  function zoom(factor) {
    const view = currentView();
    state.view = { lat: view.lat, lon: view.lon, scale: view.scale * factor };
    queueRender();
  }

  function pan(dx, dy) {
    const view = currentView();
    const cos = Math.cos(view.lat * Math.PI / 180);
    state.view = { lat: view.lat + dy * (H * 0.15) / view.scale, lon: view.lon + dx * (W * 0.15) / (view.scale * cos), scale: view.scale };
    queueRender();
  }

  function fit() {
    state.view = null;
    state.fitted = null;
    queueRender();
  }

  $('map').addEventListener('keydown', event => {
    const keys = {
      ArrowLeft: () => pan(-1, 0), ArrowRight: () => pan(1, 0), ArrowUp: () => pan(0, 1), ArrowDown: () => pan(0, -1),
      '+': () => zoom(1.4), '=': () => zoom(1.4), '-': () => zoom(1 / 1.4), '0': fit,
    };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
    }
  });
  $('zoom-in').addEventListener('click', () => zoom(1.4));
  $('zoom-out').addEventListener('click', () => zoom(1 / 1.4));
  $('zoom-reset').addEventListener('click', fit);

  // ------------------------------------------------------- beside the map

  function money(minor, currency) {
    if (minor === null || minor === undefined) return '–';
    try {
      const format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
      const digits = format.resolvedOptions().maximumFractionDigits;
      return format.format(minor / Math.pow(10, digits));
    } catch {
      return `${minor} ${currency} (minor units)`;
    }
  }

  function amounts(list) {
    return list && list.length ? list.map(a => money(a.amount, a.currency)).join(' + ') : money(0, (state.cities[0] || {}).currency || 'EUR');
  }

  function seconds(value) {
    return value === null || value === undefined ? '–' : `${value.toFixed(1)} s`;
  }

  function renderFigures() {
    const m = state.metrics;
    if (!m) return;
    const minutes = Math.round(m.window_seconds / 60);
    const rows = [
      ['Rides per minute', `${m.rides_per_minute}`],
      [`Time to match (${minutes} min)`, `p50 ${seconds(m.time_to_match_p50_seconds)} · p95 ${seconds(m.time_to_match_p95_seconds)}`],
      [`Requested / matched (${minutes} min)`, `${m.requested} / ${m.matched}`],
      [`Cancellations (${minutes} min)`, `${m.cancellations} · ${m.cancellations_total} in all`],
      [`No driver found (${minutes} min)`, `${m.no_driver}`],
      [`Finished (${minutes} min)`, `${m.finished} · ${m.finished_total} in all`],
      [`Revenue (${minutes} min)`, amounts(m.revenue)],
      ['Revenue in all', amounts(m.revenue_total)],
      ['Open rides', `${m.open_rides}`],
      ['Drivers at work', `${m.drivers.available} available · ${m.drivers.offered} offered · ${m.drivers.on_trip} on trip`],
      ['Drivers away', `${m.drivers.offline} offline · ${m.drivers.stale} not heard from`],
    ];
    const list = $('figures');
    if (list.children.length !== rows.length * 2) {
      list.replaceChildren();
      for (const [label] of rows) {
        const dt = document.createElement('dt');
        dt.textContent = label;
        list.append(dt, document.createElement('dd'));
      }
    }
    rows.forEach(([label, value], i) => {
      list.children[2 * i].textContent = label;
      if (list.children[2 * i + 1].textContent !== value) list.children[2 * i + 1].textContent = value;
    });
    list.dataset.ridesPerMinute = m.rides_per_minute;
    if (state.live) setConnection('Live', true);
  }

  function renderCities() {
    $('cities').textContent = state.cities.map(c => `${c.name}: ${c.dispatch} dispatch, surge ${c.surge_enabled ? 'on' : 'off'}`).join(' · ');
  }

  // Lists are rebuilt only while focus is elsewhere, so a keyboard user never loses their place.
  function renderLists() {
    const active = document.activeElement;
    if (active && ($('ride-list').contains(active) || $('driver-list').contains(active))) {
      setTimeout(queueRender, 1000);
      return;
    }
    state.listsDirty = false;
    const rides = [...state.rides.values()].filter(r => !['FINISHED', 'CANCELLED', 'NO_DRIVER'].includes(r.status))
      .sort((a, b) => a.created_at < b.created_at ? 1 : -1);
    $('rides-count').textContent = `(${rides.length})`;
    $('ride-list').replaceChildren(...rides.slice(0, MAX_LIST).map(r =>
      item(`${r.ride_id}`, r.status, `${r.vehicle_type}${r.driver_id ? ', driver ' + r.driver_id : ''}`, () => openRide(r.ride_id), 'ride', r.ride_id)));
    const drivers = [...state.drivers.values()].filter(d => d.location)
      .sort((a, b) => (STATUS_ORDER[a.status] - STATUS_ORDER[b.status]) || (a.driver_id < b.driver_id ? -1 : 1));
    $('drivers-count').textContent = drivers.length > MAX_LIST ? `(${drivers.length}; first ${MAX_LIST} shown)` : `(${drivers.length})`;
    $('driver-list').replaceChildren(...drivers.slice(0, MAX_LIST).map(d =>
      item(d.driver_id, d.stale ? 'stale' : d.status, d.ride_id ? `ride ${d.ride_id}` : '', () => openDriver(d.driver_id), 'driver', d.driver_id)));
  }

  function item(text, status, note, open, kind, id) {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.textContent = text;
    button.dataset.kind = kind;
    button.dataset.id = id;
    button.addEventListener('click', open);
    const badge = document.createElement('span');
    badge.className = `status ${status}`;
    badge.textContent = status.replace('_', ' ');
    li.append(button, badge);
    if (note) li.append(` ${note}`);
    return li;
  }

  // ------------------------------------------------------------ timelines

  function showDetails(title, nodes) {
    $('details').hidden = false;
    $('details-title').textContent = title;
    $('details-body').replaceChildren(...nodes);
    $('details-title').focus();
    queueRender();
  }

  function facts(pairs) {
    const dl = document.createElement('dl');
    for (const [label, value] of pairs) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      if (value instanceof Node) dd.append(value); else dd.textContent = value === null || value === undefined ? '–' : `${value}`;
      dl.append(dt, dd);
    }
    return dl;
  }

  function table(headers, rows) {
    const t = document.createElement('table');
    const head = t.createTHead().insertRow();
    for (const h of headers) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = h;
      head.append(th);
    }
    const body = t.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      for (const cell of row) {
        const td = tr.insertCell();
        if (cell instanceof Node) td.append(cell); else td.textContent = cell === null || cell === undefined ? '' : `${cell}`;
      }
    }
    return t;
  }

  function time(value) {
    return value ? new Date(value).toLocaleTimeString() : '–';
  }

  function place(p) {
    return p ? `${p.lat.toFixed(5)}, ${p.long.toFixed(5)}` : '–';
  }

  function linkTo(kind, id) {
    if (!id) return '–';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.textContent = id;
    button.addEventListener('click', () => kind === 'ride' ? openRide(id) : openDriver(id));
    return button;
  }

  async function fetchDetails(path) {
    const response = await api(path);
    if (response.status === 401) {
      showSignIn('Signed out: ' + await problemOf(response));
      return null;
    }
    if (!response.ok) {
      showDetails('Not found', [document.createTextNode(await problemOf(response))]);
      return null;
    }
    return response.json();
  }

  async function openRide(id) {
    state.selected = { kind: 'ride', id };
    const ride = await fetchDetails(`/console/api/rides/${encodeURIComponent(id)}`);
    if (!ride) return;
    const o = ride.order;
    showDetails(`Ride ${o.order_id}`, [
      facts([
        ['Status', o.status], ['Rider', o.passenger_id], ['Driver', linkTo('driver', o.driver_id)],
        ['Offered to', linkTo('driver', ride.offered_driver_id)], ['City', `${o.city} (${o.dispatch} dispatch)`],
        ['Vehicle', o.vehicle_type], ['Price', `${money(o.price, o.currency)} (surge ×${o.surge_multiplier})`],
        ['Final', money(o.final_price, o.currency)], ['Payment', `${o.payment_method}${o.payment_settled ? ', settled' : ''}`],
        ['Pickup', place(o.pickup)], ['Drop-off', place(o.dropoff)],
      ]),
      table(['Time', 'Event', 'By', 'Detail'], ride.timeline.map(e => [time(e.at), e.name, e.actor, e.detail])),
    ]);
    const dataRow = $('details');
    dataRow.dataset.kind = 'ride';
    dataRow.dataset.id = o.order_id;
  }

  async function openDriver(id) {
    state.selected = { kind: 'driver', id };
    const details = await fetchDetails(`/console/api/drivers/${encodeURIComponent(id)}`);
    if (!details) return;
    const d = details.driver;
    showDetails(`Driver ${d.driver_id}`, [
      facts([
        ['Name', d.name], ['Status', d.status + (d.is_fresh ? '' : ' (position not fresh)')], ['Vehicle', d.vehicle_type],
        ['City', d.city], ['Position', place(d.location)], ['Position at', time(d.location_at)], ['Ride', linkTo('ride', d.order_id)],
      ]),
      table(['Time', 'Status seen', 'Ride'], details.seen.slice().reverse().map(s => [time(s.at), s.status, linkTo('ride', s.ride_id)])),
      table(['Ride', 'Status', 'Price', 'Updated'], details.rides.map(r => [linkTo('ride', r.order_id), r.status, money(r.final_price ?? r.price, r.currency), time(r.updated_at)])),
    ]);
    const panel = $('details');
    panel.dataset.kind = 'driver';
    panel.dataset.id = d.driver_id;
  }

  $('details-close').addEventListener('click', () => {
    $('details').hidden = true;
    state.selected = null;
    queueRender();
    $('search-input').focus();
  });

  $('search-form').addEventListener('submit', async event => {
    event.preventDefault();
    const q = $('search-input').value.trim();
    if (!q) return;
    const hits = $('search-hits');
    const response = await api(`/console/api/search?q=${encodeURIComponent(q)}`);
    if (!response.ok) {
      if (response.status === 401) { showSignIn('Signed out: ' + await problemOf(response)); return; }
      const li = document.createElement('li');
      li.textContent = await problemOf(response);
      hits.replaceChildren(li);
      return;
    }
    const result = await response.json();
    if (!result.hits.length) {
      const li = document.createElement('li');
      li.textContent = `No ride or driver “${q}”.`;
      hits.replaceChildren(li);
      return;
    }
    hits.replaceChildren(...result.hits.map(h =>
      item(`${h.kind} ${h.id}`, h.status.toLowerCase(), '', () => h.kind === 'ride' ? openRide(h.id) : openDriver(h.id), h.kind, h.id)));
    if (result.hits.length === 1) {
      const h = result.hits[0];
      h.kind === 'ride' ? openRide(h.id) : openDriver(h.id);
    }
  });

  // ---------------------------------------------------------------- start

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved); else showSignIn('');
})();
