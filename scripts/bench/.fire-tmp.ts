import autocannon from 'autocannon';
import sharp from 'sharp';
import { readFileSync } from 'node:fs';
const img = await sharp(readFileSync('/work/shared/images/aqua.jpg')).resize(1200, 900, { fit: 'fill' }).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer();
const b = '----x';
const body = Buffer.concat([Buffer.from(`--${b}\r\ncontent-disposition: form-data; name="variants"\r\n\r\n20\r\n--${b}\r\ncontent-disposition: form-data; name="file"; filename="a.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`), img, Buffer.from(`\r\n--${b}--\r\n`)]);
const r = await autocannon({ url: `http://127.0.0.1:${process.argv[2]}/api/jobs`, method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${b}` }, body, connections: 64, duration: Number(process.argv[3] ?? 10) });
console.log(r['2xx'] / r.duration, r.non2xx, r.latency.p50, r.latency.p99);
