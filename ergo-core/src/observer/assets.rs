//! The observer's stylesheet and its one hand-written script (no build step, no library): click
//! a table header to sort by that column, type in a `data-filter` box to filter a table's rows,
//! draw the overview's charts on canvases from server-sent events, and append log lines from
//! the log stream. Owns these two texts only.

/// The stylesheet of every page.
pub(crate) const CSS: &str = r#"
body{font-family:system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:.6em 1em;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}
header .brand{font-weight:700}header .node{font-family:monospace;color:#9fd3ff}
nav a{color:#dfe6f0;margin-right:.9em;text-decoration:none}nav a.current{color:#fff;border-bottom:2px solid #9fd3ff}
main{padding:1em 1.5em}h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.4em}
table{border-collapse:collapse;background:#fff;margin:.5em 0;min-width:30em}
th,td{border:1px solid #d8dde6;padding:.25em .6em;text-align:left;font-size:.92em}
th{background:#eef1f5;cursor:pointer;user-select:none}td{font-family:monospace}
a.pid{color:#0b5cad}.stats{display:flex;gap:1em;flex-wrap:wrap}
.stat{background:#fff;border:1px solid #d8dde6;padding:.6em 1em;min-width:9em}
.stat b{display:block;font-size:1.4em}.charts{display:flex;gap:1em;flex-wrap:wrap}
.chart{background:#fff;border:1px solid #d8dde6;padding:.4em}canvas{display:block}
ul.tree{list-style:none;padding-left:1.4em;border-left:1px dashed #b8c0cc}ul.tree li{margin:.2em 0}
.kind{color:#666;font-size:.85em}.restarts{color:#b03030}
form.inline{display:inline-block;margin:.3em .6em .3em 0}input,textarea,button{font:inherit}
#log{background:#10141c;color:#dfe6f0;font-family:monospace;font-size:.85em;padding:.6em;height:70vh;overflow:auto;white-space:pre-wrap}
.ERROR{color:#ff7b7b}.WARN{color:#ffd27b}.DEBUG,.TRACE{color:#8a94a6}.error{color:#b03030}
"#;

/// The script of every page.
pub(crate) const JS: &str = r#"
(function(){
function cellValue(row,i){var t=row.children[i]?row.children[i].textContent.trim():'';var n=parseFloat(t.replace(/[^0-9.\-]/g,''));return /^[0-9.\- ]+[A-Za-z]*$/.test(t)&&!isNaN(n)?n:t.toLowerCase();}
document.querySelectorAll('table.sortable').forEach(function(table){
  table.querySelectorAll('th').forEach(function(th,i){
    th.addEventListener('click',function(){
      var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
      var asc=th.getAttribute('data-dir')!=='asc';
      table.querySelectorAll('th').forEach(function(h){h.removeAttribute('data-dir');});
      th.setAttribute('data-dir',asc?'asc':'desc');
      rows.sort(function(a,b){var x=cellValue(a,i),y=cellValue(b,i);return (x<y?-1:x>y?1:0)*(asc?1:-1);});
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
});
document.querySelectorAll('input[data-filter]').forEach(function(input){
  var table=document.getElementById(input.getAttribute('data-filter'));
  input.addEventListener('input',function(){
    var q=input.value.toLowerCase();var shown=0;
    Array.prototype.forEach.call(table.tBodies[0].rows,function(r){var ok=r.textContent.toLowerCase().indexOf(q)>=0;r.style.display=ok?'':'none';if(ok)shown++;});
    var c=document.getElementById(input.getAttribute('data-count'));if(c)c.textContent=shown;
  });
});
function draw(canvas,values,label){
  var ctx=canvas.getContext('2d');var w=canvas.width,h=canvas.height;ctx.clearRect(0,0,w,h);
  var max=Math.max.apply(null,values.concat([1]));ctx.strokeStyle='#0b5cad';ctx.lineWidth=1.5;ctx.beginPath();
  values.forEach(function(v,i){var x=values.length<2?0:i*(w-4)/(values.length-1)+2;var y=h-4-(v/max)*(h-24);if(i)ctx.lineTo(x,y);else ctx.moveTo(x,y);});
  ctx.stroke();ctx.fillStyle='#1d2330';ctx.font='12px sans-serif';ctx.fillText(label+' (max '+max+')',4,13);
}
var charts=document.querySelectorAll('canvas[data-series]');
if(charts.length&&window.EventSource){
  var series={};var samples=0;var src=new EventSource('/events/stats');
  src.addEventListener('sample',function(e){
    var s=JSON.parse(e.data);document.body.setAttribute('data-samples',++samples);
    charts.forEach(function(c){var k=c.getAttribute('data-series');(series[k]=series[k]||[]).push(s[k]);if(series[k].length>300)series[k].shift();draw(c,series[k],c.getAttribute('data-label'));});
    Object.keys(s).forEach(function(k){var el=document.getElementById('live-'+k);if(el)el.textContent=s[k];});
  });
}
var log=document.getElementById('log');
if(log&&window.EventSource){
  var ls=new EventSource('/events/logs?after='+(log.getAttribute('data-after')||0));
  ls.addEventListener('line',function(e){
    var l=JSON.parse(e.data);var div=document.createElement('div');div.className=l.level;
    div.textContent=new Date(l.unix_ms).toISOString().substr(11,12)+' '+l.level+' '+l.target+': '+l.text;
    log.appendChild(div);while(log.children.length>1000)log.removeChild(log.firstChild);log.scrollTop=log.scrollHeight;
  });
}
})();
"#;
