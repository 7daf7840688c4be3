// Photos taken on a phone weigh 3–8 MB each: on a village's slow connection a report with a few of
// them takes minutes, or fails and loses what was typed. When photos are chosen, each large one is
// redrawn at most MAX pixels on its longer side as a JPEG (a few hundred KB) before the form is
// sent; the redrawn picture carries none of the camera's metadata either. Without this script, or
// where the browser cannot redraw, the photos are sent as taken (the server shrinks them as well).
(function () {
  var MAX = 1600;
  var QUALITY = 0.8;
  var LIGHT = 400 * 1024; // smaller photos are sent as they are

  function size(bytes) {
    return bytes >= 1024 * 1024 ? (bytes / 1024 / 1024).toFixed(1) + "MB" : Math.ceil(bytes / 1024) + "KB";
  }

  function shrink(file) {
    return new Promise(function (resolve) {
      if (!/^image\/(jpeg|png|webp)$/.test(file.type)) return resolve(file);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, MAX / Math.max(img.naturalWidth, img.naturalHeight));
        if (scale === 1 && file.size <= LIGHT) return resolve(file);
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.naturalWidth * scale);
        canvas.height = Math.round(img.naturalHeight * scale);
        var context = canvas.getContext("2d");
        context.fillStyle = "#fff";
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(img, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) return resolve(file);
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: Date.now() }));
        }, "image/jpeg", QUALITY);
      };
      img.onerror = function () {
        resolve(file);
      };
      // Read as a data: URL (the site's content security policy allows those for images, not blob:).
      var reader = new FileReader();
      reader.onload = function () {
        img.src = reader.result;
      };
      reader.onerror = function () {
        resolve(file);
      };
      reader.readAsDataURL(file);
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-shrink]") || !input.files.length) return;
    if (typeof DataTransfer !== "function" || !HTMLCanvasElement.prototype.toBlob) return;
    var form = input.form;
    var buttons = form ? form.querySelectorAll("button[type=submit]") : [];
    var status = document.getElementById(input.id + "-status");
    if (!status) {
      status = document.createElement("p");
      status.id = input.id + "-status";
      status.className = "muted";
      status.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", status);
    }
    var chosen = Array.prototype.slice.call(input.files);
    var before = chosen.reduce(function (sum, f) { return sum + f.size; }, 0);
    buttons.forEach(function (b) { b.disabled = true; });
    status.textContent = "正在压缩照片，请稍候……";
    Promise.all(chosen.map(shrink)).then(function (files) {
      var after = files.reduce(function (sum, f) { return sum + f.size; }, 0);
      if (after < before) {
        var transfer = new DataTransfer();
        files.forEach(function (f) { transfer.items.add(f); });
        input.files = transfer.files;
        status.textContent = "照片已压缩：" + size(before) + " → " + size(after) + "，上传更快。";
      } else {
        status.textContent = "";
      }
    }).catch(function () {
      status.textContent = "";
    }).then(function () {
      buttons.forEach(function (b) { b.disabled = false; });
    });
  });
})();
