// The deep-zoom viewer of a record's open images: reads the record's IIIF manifest, opens each canvas's image
// service in OpenSeadragon, and drives it from real buttons and the keyboard (OpenSeadragon's own controls are
// not used: they are not buttons a keyboard or a screen reader can reach). OpenSeadragon adds a style element that
// takes the focus outline off on touch screens; the Content-Security-Policy refuses it (and says so in the
// console), which keeps the outline: wanted.
for (const viewer of document.querySelectorAll('.preserve-viewer')) {
  start(viewer)
}

async function start (viewer) {
  const status = viewer.querySelector('[data-status]')
  let manifest
  try {
    const response = await fetch(viewer.dataset.manifest, { headers: { Accept: 'application/ld+json' } })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    manifest = await response.json()
  } catch (error) {
    status.textContent = 'The image viewer could not load this record’s images.'
    return
  }
  // each image from this portal, wherever its address says the portal is (behind a proxy, it may say another)
  const services = manifest.items.map(canvas => {
    const body = canvas.items[0].items[0].body
    return `${new URL(body.service[0].id).pathname}/info.json`
  })
  const labels = manifest.items.map(canvas => Object.values(canvas.label)[0][0])
  const element = viewer.querySelector('[data-image]')
  const zoom = window.OpenSeadragon({
    element,
    tileSources: services,
    sequenceMode: services.length > 1,
    showNavigationControl: false,
    showSequenceControl: false,
    crossOriginPolicy: false,
    preserveViewport: false,
    visibilityRatio: 0.5
  })
  // the part of the viewer that takes the keyboard: named for screen readers
  zoom.canvas.setAttribute('role', 'application')
  zoom.canvas.setAttribute('aria-roledescription', 'zoomable image')
  const say = page => {
    const name = labels[page] || viewer.dataset.title
    status.textContent = services.length > 1 ? `Image ${page + 1} of ${services.length}: ${name}` : name
    zoom.canvas.setAttribute('aria-label', `${name}: arrow keys move, plus and minus zoom`)
  }
  say(0)
  zoom.addHandler('page', event => say(event.page))
  const tries = {}
  zoom.addHandler('open-failed', () => {
    const page = zoom.currentPage()
    const name = labels[page] || viewer.dataset.title
    zoom.world.removeAll() // never leave the image before on show under another's name
    tries[page] = (tries[page] || 0) + 1
    if (tries[page] <= 3) { // the portal may be making it ready (503): ask again in a few seconds
      status.textContent = `Making ${name} ready to zoom…`
      setTimeout(() => (services.length > 1 ? zoom.goToPage(page) : zoom.open(services[0])), 4000)
      return
    }
    status.textContent = services.length > 1
      ? `Image ${page + 1} of ${services.length} (${name}) cannot be shown here: request a copy.`
      : `${name} cannot be shown here: request a copy.`
  })
  // data-loaded says whether every tile in view has come (for those who wait on it: the tests)
  zoom.world.addHandler('add-item', event => {
    viewer.dataset.loaded = 'false'
    event.item.addHandler('fully-loaded-change', change => { viewer.dataset.loaded = String(change.fullyLoaded) })
  })
  const actions = {
    'zoom-in': () => zoom.viewport.zoomBy(1.5),
    'zoom-out': () => zoom.viewport.zoomBy(1 / 1.5),
    home: () => zoom.viewport.goHome(),
    previous: () => zoom.goToPage(Math.max(0, zoom.currentPage() - 1)),
    next: () => zoom.goToPage(Math.min(services.length - 1, zoom.currentPage() + 1))
  }
  const controls = viewer.querySelector('.preserve-viewer__controls')
  controls.addEventListener('click', event => {
    const action = event.target.closest('button')?.dataset.action
    if (action) {
      actions[action]()
      zoom.viewport.applyConstraints()
    }
  })
  viewer.openSeadragon = zoom // for scripts of the page's own, and the tests
  controls.hidden = false
  viewer.querySelector('[data-keys]').hidden = false
}
