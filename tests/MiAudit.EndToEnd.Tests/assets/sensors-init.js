// Loads the real Sensors Analytics web SDK (vendored from npm sa-sdk-javascript) the way a site would.
// The page sets data-send-type on this script tag: image, ajax or beacon.
(function () {
  var sendType = document.currentScript.getAttribute('data-send-type');
  var sensors = window['sensorsDataAnalytic201505'];
  sensors.init({
    server_url: 'https://sa.datasink.test/sa?project=default',
    send_type: sendType,
    is_track_single_page: true,
    show_log: false,
    heatmap: { clickmap: 'not_collect', scroll_notice_map: 'not_collect' }
  });
  sensors.quick('autoTrack');
  window.sensors = sensors;
})();
