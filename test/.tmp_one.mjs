import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
const variants = {
 default: {},
 rd3: { record_delimiter: ['\r\n', '\n', '\r'] },
 maxrec: { max_record_size: 1000000 },
 delim: { bom: false, delimiter: ',' },
 nomax: { delimiter: ',', record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: true, relax_quotes: true, bom: false },
 norelax: { delimiter: ',', record_delimiter: ['\r\n', '\n', '\r'], bom: false, max_record_size: 1000000 },
 all: { delimiter: ',', record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: true, relax_quotes: true, bom: false, max_record_size: 1000000 },
};
const opts = variants[process.argv[2]];
const s = process.cpuUsage(); let n = 0;
const p = createReadStream('/tmp/200k.csv', {highWaterMark: 256*1024}).pipe(parse(opts)); p.on('data', () => n++);
await new Promise((r, j) => { p.on('end', r); p.on('error', j) });
const u = process.cpuUsage(s); console.log((u.user + u.system) / 1000 | 0);
