"""Tests of delta_augment.py against a running Delta Augment (the real local stack).

    DELTA_URL=http://127.0.0.1:8080 DELTA_TEST_IMAGES=/work/shared/images python3 -m unittest -v test_delta_augment

The stack must allow webhooks to 127.0.0.1 (WEBHOOK_ALLOW_HOSTS=127.0.0.1) for the webhook test.
tests/clients/python-client.e2e.test.ts starts the stack and runs this file, so it counts in `npm test`.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import types
import unittest
import zipfile
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import delta_augment as da  # noqa: E402

URL = os.environ.get("DELTA_URL", "http://127.0.0.1:8080")
IMAGES = Path(os.environ.get("DELTA_TEST_IMAGES", "/work/shared/images"))
PHOTOS = sorted(p.name for p in IMAGES.glob("*.jpg"))[:6]


def temp_dir(test: unittest.TestCase, prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    test.addCleanup(shutil.rmtree, path, True)
    return path


def photo_folder(test: unittest.TestCase) -> Path:
    """Six shared photos in two class folders."""
    root = temp_dir(test, "delta-py-in-")
    for i, name in enumerate(PHOTOS):
        label = root / ("plants" if i % 2 == 0 else "scenes")
        label.mkdir(exist_ok=True)
        shutil.copy(IMAGES / name, label / name)
    return root


def yolo_folder(test: unittest.TestCase) -> Path:
    """A YOLO dataset: data.yaml, images/, labels/ (one centred box per photo)."""
    root = temp_dir(test, "delta-py-yolo-")
    (root / "images").mkdir()
    (root / "labels").mkdir()
    (root / "data.yaml").write_text("names:\n  - bug\n  - leaf\n")
    for i, name in enumerate(PHOTOS[:4]):
        shutil.copy(IMAGES / name, root / "images" / name)
        (root / "labels" / (Path(name).stem + ".txt")).write_text("{} 0.5 0.5 0.3 0.4\n".format(i % 2))
    return root


class Receiver:
    """A webhook receiver on 127.0.0.1 that keeps the raw bodies and headers it gets."""

    def __init__(self) -> None:
        self.received: List[Dict[str, Any]] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                owner.received.append({"headers": dict(self.headers.items()), "body": body})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:{}/hook".format(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class AugmentTest(unittest.TestCase):
    def test_a_folder_becomes_an_extracted_augmented_dataset_with_progress(self) -> None:
        # Prepare
        folder = photo_folder(self)
        out = temp_dir(self, "delta-py-out-") / "augmented"
        events: List[da.ProgressEvent] = []
        # Act
        result = da.augment(folder, url=URL, out=out, variants=2, seed=7, tags=["py"], on_progress=events.append)
        # Assess
        self.assertEqual(result.job.status, "completed")
        images = sorted(f for f in result.files if f.endswith(".jpg"))
        self.assertEqual(len(images), 12, result.files)
        self.assertEqual(len([f for f in images if f.startswith("plants/")]), 6)
        self.assertTrue((out / "manifest.json").exists())
        self.assertFalse((out / da.STATE_FILE).exists(), "the state file is removed when done")
        phases = [e.phase for e in events]
        for phase in ("upload", "variants", "download", "done"):
            self.assertIn(phase, phases)
        upload = [e for e in events if e.phase == "upload"]
        self.assertEqual(upload[-1].done, upload[-1].total, "every byte uploaded")
        variants = [e for e in events if e.phase == "variants"]
        self.assertEqual((variants[-1].done, variants[-1].total), (12, 12))
        self.assertTrue(all(e.job_id == result.job.id for e in events if e.phase != "upload" or e.job_id))

    def test_an_interrupted_run_resumes_with_the_same_job_and_sends_only_what_is_missing(self) -> None:
        # Prepare: the first run dies after its first upload
        folder = photo_folder(self)
        out = temp_dir(self, "delta-py-out-") / "resumed"
        puts: List[str] = []
        original = da.Client.put_file

        def failing_put(client: da.Client, upload: da.SignedUpload, path: Any, on_bytes: Any = None) -> int:
            if puts:
                raise KeyboardInterrupt()
            puts.append(str(path))
            return original(client, upload, path, on_bytes)

        da.Client.put_file = failing_put  # type: ignore[method-assign]
        try:
            with self.assertRaises(KeyboardInterrupt):
                da.augment(folder, url=URL, out=out, variants=1, concurrency=1)
        finally:
            da.Client.put_file = original  # type: ignore[method-assign]
        state = json.loads((out / da.STATE_FILE).read_text())
        sent: List[str] = []

        def counting_put(client: da.Client, upload: da.SignedUpload, path: Any, on_bytes: Any = None) -> int:
            sent.append(str(path))
            return original(client, upload, path, on_bytes)

        # Act
        da.Client.put_file = counting_put  # type: ignore[method-assign]
        try:
            result = da.augment(folder, url=URL, out=out, variants=1, concurrency=2)
        finally:
            da.Client.put_file = original  # type: ignore[method-assign]
        # Assess
        self.assertEqual(result.job.id, state["jobId"])
        self.assertEqual(len(puts), 1)
        self.assertEqual(len(sent), len(PHOTOS) - 1, "the resumed run sends only the missing files")
        self.assertNotIn(puts[0], sent)
        self.assertEqual(len([f for f in result.files if f.endswith(".jpg")]), len(PHOTOS))

    def test_a_yolo_folder_comes_back_as_a_split_coco_dataset(self) -> None:
        # Prepare
        folder = yolo_folder(self)
        out = temp_dir(self, "delta-py-out-") / "coco"
        # Act
        result = da.augment(folder, url=URL, out=out, variants=2, seed=3, export="coco", split="50,50,0")
        # Assess
        self.assertEqual(result.job.status, "completed")
        annotations = sorted(f for f in result.files if f.endswith("_annotations.coco.json"))
        self.assertEqual(annotations, ["train/_annotations.coco.json", "valid/_annotations.coco.json"])
        train = json.loads((out / "train" / "_annotations.coco.json").read_text())
        self.assertEqual(sorted(c["name"] for c in train["categories"]), ["bug", "leaf"])
        self.assertGreater(len(train["annotations"]), 0)

    def test_refused_input_raises_a_delta_error_naming_the_field(self) -> None:
        with self.assertRaises(da.DeltaError) as caught:
            da.augment(photo_folder(self), url=URL, out=temp_dir(self, "delta-py-out-"), variants=100000)
        self.assertEqual(caught.exception.status, 400)
        self.assertEqual(caught.exception.field, "variants")
        self.assertRegex(caught.exception.message, "MAX_VARIANTS")

    def test_an_unreachable_server_raises_unreachable(self) -> None:
        client = da.Client("http://127.0.0.1:9", attempts=1)
        with self.assertRaises(da.Unreachable):
            client.presets()

    def test_a_tqdm_bar_follows_each_phase_when_tqdm_is_installed(self) -> None:
        # Prepare: a stand-in tqdm module that records what the bar was told
        bars: List[Dict[str, Any]] = []

        class FakeTqdm:
            def __init__(self, total: int, desc: str, **_: Any) -> None:
                self.record = {"desc": desc, "total": total, "n": 0, "closed": False}
                bars.append(self.record)

            def update(self, n: int) -> None:
                self.record["n"] += n

            def close(self) -> None:
                self.record["closed"] = True

        sys.modules["tqdm"] = types.SimpleNamespace(tqdm=FakeTqdm)  # type: ignore[assignment]
        try:
            # Act
            da.augment(photo_folder(self), url=URL, out=temp_dir(self, "delta-py-out-"), variants=1)
        finally:
            del sys.modules["tqdm"]
        # Assess
        self.assertEqual([b["desc"] for b in bars], ["upload", "variants", "download", "done"])
        self.assertTrue(all(b["closed"] and b["n"] == b["total"] for b in bars), bars)


class ClientTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = da.Client(URL)

    def test_presets_lists_the_default_first(self) -> None:
        presets = self.client.presets()
        self.assertEqual(presets[0].name, "delta-classic")
        self.assertIn("light", [p.name for p in presets])

    def test_preview_renders_a_few_variants_and_stores_nothing(self) -> None:
        before = len(self.client.jobs(limit=100))
        preview = self.client.preview(IMAGES / "ladybird.jpg", count=3, size=128, preset="heavy", seed=5)
        self.assertEqual([v.index for v in preview.variants], [0, 1, 2])
        self.assertTrue(all(max(v.width, v.height) <= 128 for v in preview.variants))
        self.assertTrue(all(v.data[:3] in (b"\xff\xd8\xff", b"RIF", b"\x89PN") for v in preview.variants))
        self.assertEqual(len(set(v.data for v in preview.variants)), 3, "three different variants")
        self.assertEqual(len(self.client.jobs(limit=100)), before)
        with self.assertRaises(da.DeltaError) as caught:
            self.client.preview(IMAGES / "ladybird.jpg", count=9)
        self.assertEqual((caught.exception.status, caught.exception.field), (400, "count"))

    def test_jobs_created_from_images_can_be_listed_read_downloaded_and_deleted(self) -> None:
        job = self.client.create_job_from_images([IMAGES / "ladybird.jpg"], variants=1, tags=["py-list"])
        final = self.client.wait(job.id, timeout=120)
        self.assertEqual(final.status, "completed")
        self.assertEqual([j.id for j in self.client.jobs(tag="py-list")], [job.id])
        events = self.client.events(job.id)
        self.assertEqual([e["seq"] for e in events], list(range(1, len(events) + 1)))
        target = temp_dir(self, "delta-py-zip-") / "job.zip"
        size = self.client.download(job.id, target)
        self.assertEqual(size, target.stat().st_size)
        self.assertIn("manifest.json", zipfile.ZipFile(target).namelist())
        self.client.delete_job(job.id)
        with self.assertRaises(da.DeltaError) as caught:
            self.client.job(job.id)
        self.assertEqual(caught.exception.status, 404)


class WebhookTest(unittest.TestCase):
    def test_a_completed_job_posts_a_document_that_verify_webhook_accepts(self) -> None:
        # Prepare
        receiver = Receiver()
        self.addCleanup(receiver.close)
        client = da.Client(URL)
        # Act
        job = client.create_job_from_images([IMAGES / "ladybird.jpg"], variants=1, webhook_url=receiver.url)
        deadline = time.monotonic() + 90
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.2)
        # Assess
        self.assertTrue(receiver.received, "a delivery reached the receiver")
        secret = job.webhook.secret if job.webhook else None
        self.assertIsNotNone(secret)
        delivery = receiver.received[0]
        headers = {k.lower(): v for k, v in delivery["headers"].items()}
        # The README's snippet: verify the raw body with the job's secret.
        ok = da.verify_webhook(secret, headers["delta-timestamp"], headers["delta-signature"], delivery["body"])
        self.assertTrue(ok)
        self.assertFalse(da.verify_webhook("whsec_wrong", headers["delta-timestamp"], headers["delta-signature"], delivery["body"]))
        self.assertFalse(da.verify_webhook(secret, headers["delta-timestamp"], headers["delta-signature"], delivery["body"] + b" "))
        stale = int(headers["delta-timestamp"]) + 3600
        self.assertFalse(da.verify_webhook(secret, headers["delta-timestamp"], headers["delta-signature"], delivery["body"], now=stale))
        payload = json.loads(delivery["body"])
        self.assertEqual((payload["type"], payload["job"]["id"]), ("job.completed", job.id))
        seen = client.job(job.id)
        deadline = time.monotonic() + 10
        while (seen.webhook is None or seen.webhook.status != "delivered") and time.monotonic() < deadline:
            time.sleep(0.2)
            seen = client.job(job.id)
        self.assertEqual(seen.webhook.status if seen.webhook else None, "delivered")
        self.assertEqual([(a.attempt, a.ok, a.status) for a in seen.webhook.attempts], [(1, True, 200)])


if __name__ == "__main__":
    unittest.main()
